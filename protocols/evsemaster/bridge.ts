// The running protocol: one UDP socket on 28376, datagrams routed to one driver per serial.

import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { datagrams, openUdp } from "../../lib/udp.ts";
import { decodeEvsePacket, decoderStream, type EvseMessage, type Received } from "./codec.ts";
import type { ChargerConfig, EvsemasterConfig } from "./config.ts";
import { DiscoveryLimit } from "./discovery.ts";
import { EvseCharger } from "./driver.ts";
import { PasswordStore } from "./passwords.ts";

export async function startBridge(ctx: BridgeContext, cfg: EvsemasterConfig): Promise<Running> {
  const log = ctx.log.child({ protocol: "evsemaster" });
  let onDatagram: (r: Received<EvseMessage>) => void = () => {};
  const pumps = new Set<Promise<void>>();
  // One link per sending host: each is decoded on its own and routed by serial below.
  const sock = await openUdp({ bind: cfg.bind, port: cfg.port, broadcast: true }, (link) => {
    const pump = datagrams(link).pipeThrough(decoderStream(decodeEvsePacket)).pipeTo(
      new WritableStream({
        write: (r) => {
          try {
            onDatagram(r);
          } catch (err) {
            log.error("driver failure", { error: err instanceof Error ? err.message : String(err) });
          }
        },
      }),
    ).catch(() => {});
    pumps.add(pump);
    void pump.finally(() => pumps.delete(pump));
  });
  log.info("listening for EVSEMaster chargers", { bind: cfg.bind, port: sock.port, chargers_configured: cfg.charger.length, time_zone: cfg.time_zone });
  const configured = new Map<string, ChargerConfig>(cfg.charger.map((c) => [c.serial, c]));
  const chargers = new Map<string, EvseCharger>();
  const discovery = new DiscoveryLimit(cfg.max_discovered, log);
  let badCount = 0;
  const env = {
    hub: ctx.hub,
    mqtt: ctx.mqtt,
    baseTopic: ctx.baseTopic,
    log,
    settings: cfg,
    passwords: new PasswordStore(ctx.stateDir, log),
    send: (bytes: Uint8Array, address: string, port: number) => {
      sock.send(bytes, address, port).catch((err: Error) => log.debug("udp send failed", { to: `${address}:${port}`, error: err.message }));
    },
  };

  onDatagram = (r: Received<EvseMessage>) => {
    if (!r.ok) {
      badCount++;
      // Debug only, since every LAN host can send junk to the port; the count goes into the stop log.
      log.debug("bad datagram", { from: `${r.from.address}:${r.from.port}`, error: r.error, serial: r.serial });
      return;
    }
    const serial = r.frame.serial;
    // Datagrams the app sends (bit 15) are another app's traffic seen by broadcast, not a charger.
    if (r.frame.command & 0x8000) return;
    let c = chargers.get(serial);
    if (!c) {
      const conf = configured.get(serial);
      // Unconfigured serials only from a beacon (what a charger without an app sends, §4.1 step 1),
      // and only up to max_discovered: anything else would let one host create devices without end.
      if (!conf && (!cfg.discover || r.message.type !== "beacon" || !discovery.admit(serial, Date.now()))) return;
      c = new EvseCharger(serial, conf, env);
      chargers.set(serial, c);
      log.info("discovered charger", { charger: serial, configured: conf !== undefined });
    }
    c.receive(r.message, r.from, Date.now());
  };


  const tickMs = Math.max(50, Math.min(1000, (Math.min(cfg.offline_after_s, cfg.session_timeout_s, cfg.login_timeout_s) * 1000) / 5));
  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of chargers.values()) {
      try {
        c.tick(now);
      } catch (err) {
        log.error("driver tick failure", { charger: c.serial, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }, tickMs);

  return {
    stop: async () => {
      clearInterval(timer);
      for (const c of chargers.values()) c.stop();
      await sock.close();
      await Promise.all(pumps);
      let foreign = 0;
      for (const c of chargers.values()) foreign += c.foreignDropped;
      log.info("evsemaster stopped", {
        chargers: chargers.size,
        bad_datagrams: badCount,
        dropped_datagrams: sock.dropped,
        discovery_refused: discovery.refused,
        foreign_datagrams: foreign,
      });
    },
  };
}
