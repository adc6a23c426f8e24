// The bridge's UDP endpoint on 28376 (§1): one link per sending host, each decoded on its own, every
// datagram routed by serial to that charger's session, whose events feed its device. Chargers come
// from the config or, within `max_discovered`, from beacons; discovered ones that stay offline for
// `forget_discovered_after_s` are removed from the hub and MQTT again.

import { countedCodec } from "../../lib/metrics.ts";
import { errorMessage, ignore } from "../../lib/errors.ts";
import { formatHostPort, framed, LinkError } from "../../lib/link.ts";
import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { openUdp, type UdpLink } from "../../lib/udp.ts";
import { type AppDatagram, type Decoded, type EvseMessage, evsemasterCodec } from "./codec.ts";
import type { ChargerConfig, EvsemasterConfig } from "./config.ts";
import { EvseDevice } from "./device.ts";
import { DiscoveryLimit } from "./discovery.ts";
import { type Endpoint, EndpointGuard } from "./endpoint.ts";
import { APP } from "./enums.ts";
import { PinBook } from "./pins.ts";
import { addressStore, passwordStore } from "./serial-store.ts";
import { EvseSession } from "./session.ts";

export interface EvsemasterListener extends Running {
  readonly port: number;
  device(serial: string): EvseDevice | undefined;
}

interface Charger {
  session: EvseSession;
  device: EvseDevice;
  /** The session's events flowing into the device; settles once the session is closed. */
  piped: Promise<void>;
}

export async function startEvsemaster(ctx: BridgeContext, cfg: EvsemasterConfig, opts: { now?: () => number } = {}): Promise<EvsemasterListener> {
  const now = opts.now ?? Date.now;
  const log = ctx.log.child({ protocol: "evsemaster" });
  const configured = new Map<string, ChargerConfig>(cfg.charger.map((c) => [c.serial, c]));
  const chargers = new Map<string, Charger>();
  const discovery = new DiscoveryLimit(cfg.max_discovered, log);
  const passwords = passwordStore(ctx.stateDir, log);
  const addresses = addressStore(ctx.stateDir, log);
  /** One writer per host link: a session sends through the link of its charger's endpoint. */
  const links = new Map<string, WritableStreamDefaultWriter<AppDatagram>>();
  const pumps = new Set<Promise<void>>();
  let bad = 0;
  let stopping = false;

  const send = (to: Endpoint, d: AppDatagram): Promise<void> => {
    const w = links.get(formatHostPort(to.address, to.port));
    // The link exists while the charger sends; it is let go only long after the charger went offline.
    return w ? w.write(d) : Promise.reject(new LinkError(`no link to ${formatHostPort(to.address, to.port)}`));
  };

  const timing = {
    offlineAfterMs: cfg.offline_after_s * 1000,
    sessionTimeoutMs: cfg.session_timeout_s * 1000,
    loginTimeoutMs: cfg.login_timeout_s * 1000,
    replyTimeoutMs: cfg.reply_timeout_s * 1000,
    configRefreshMs: cfg.config_refresh_s * 1000,
    reloginMinMs: cfg.relogin_min_s * 1000,
    reloginMaxMs: cfg.relogin_max_s * 1000,
  };

  const create = (serial: string, conf: ChargerConfig | undefined): Charger => {
    const clog = log.child({ charger: serial });
    const guard = new EndpointGuard(
      { fixed: conf?.address, learnt: addresses.get(serial), changeAfterMs: cfg.address_change_after_s * 1000, onTrust: (a) => addresses.remember(serial, a) },
      now(),
    );
    const pins = new PinBook(serial, conf?.password, cfg.default_password, passwords);
    const session = new EvseSession({ serial, disabled: conf?.disabled ?? false, discoverLogin: cfg.discover_login, timing }, guard, pins, send, clog, now);
    const device = new EvseDevice(serial, conf, session, { hub: ctx.hub, settings: cfg, log: clog, now });
    const piped = session.events.pipeTo(device.sink()).catch((err: unknown) => {
      clog.error("charger event handling failed", { error: errorMessage(err) });
      session.close(`internal error: ${errorMessage(err)}`);
    });
    return { session, device, piped };
  };

  const route = async (item: Decoded<EvseMessage>, from: Endpoint): Promise<void> => {
    if (!item.ok) {
      bad++;
      // Debug only, since every LAN host can send junk to the port; the count goes into the stop log.
      log.debug("bad datagram", { from: formatHostPort(from.address, from.port), error: item.error, serial: item.serial });
      return;
    }
    // Datagrams the app sends (bit 15) are another app's traffic seen by broadcast, not a charger.
    if (item.frame.command & APP) return;
    const serial = item.frame.serial;
    let c = chargers.get(serial);
    if (!c) {
      const conf = configured.get(serial);
      // Unconfigured serials only from a beacon (what a charger without an app sends, §4.1 step 1),
      // and only up to max_discovered: anything else would let one host create devices without end.
      if (!conf && (!cfg.discover || item.message.type !== "beacon" || !discovery.admit(serial, now()))) return;
      c = create(serial, conf);
      chargers.set(serial, c);
      log.info("discovered charger", { charger: serial, configured: conf !== undefined });
    }
    await c.session.receive(item.message, from);
  };

  // Shared by every host link: the codec makes fresh decoder state per link.
  const codec = countedCodec(evsemasterCodec, "evsemaster", (d) => !d.ok);
  const routeFailed = (err: unknown) => log.error("datagram handling failed", { error: errorMessage(err) });
  const onLink = (link: UdpLink) => {
    const f = framed(link, codec);
    const writer = f.writable.getWriter();
    writer.closed.catch(ignore);
    links.set(link.remote, writer);
    const from = { address: link.address, port: link.port };
    const pump = f.readable
      .pipeTo(new WritableStream(new RouteSink(route, from, routeFailed)))
      .catch(ignore)
      .finally(() => {
        if (links.get(link.remote) === writer) links.delete(link.remote);
        pumps.delete(pump);
      });
    pumps.add(pump);
  };

  // A host's link is let go after long silence; never before its charger counts as offline.
  const idleMs = Math.max(600_000, 2 * timing.offlineAfterMs);
  const sock = await openUdp({ bind: cfg.bind, port: cfg.port, broadcast: true, idleMs }, onLink);
  log.info("listening for EVSEMaster chargers", { bind: cfg.bind, port: sock.port, chargers_configured: cfg.charger.length, time_zone: cfg.time_zone });

  /** A neighbour's charger seen once must not stay in Home Assistant for ever. */
  const forgetMs = cfg.forget_discovered_after_s * 1000;
  const forgettable = (serial: string, c: Charger): boolean =>
    forgetMs > 0 && !configured.has(serial) && passwords.get(serial) === undefined && !c.session.isOnline && c.session.silentFor() >= forgetMs;

  const forget = async (serial: string, c: Charger): Promise<void> => {
    // All at once, before a datagram can come in between: a beacon right after this makes a new charger.
    chargers.delete(serial);
    discovery.release();
    c.session.close("charger forgotten");
    const removed = ctx.hub.remove(serial);
    log.info("discovered charger removed: offline too long", { charger: serial, offline_s: Math.round(c.session.silentFor() / 1000) });
    await Promise.all([c.piped, removed]);
  };

  const tickMs = Math.max(50, Math.min(1000, Math.min(cfg.offline_after_s, cfg.session_timeout_s, cfg.login_timeout_s) * 200));
  const timer = setInterval(() => {
    if (stopping) return;
    for (const [serial, c] of chargers) {
      try {
        c.session.tick();
        if (forgettable(serial, c)) forget(serial, c).catch((err: unknown) => log.error("removing a charger failed", { charger: serial, error: errorMessage(err) }));
      } catch (err) {
        log.error("charger tick failed", { charger: serial, error: errorMessage(err) });
      }
    }
  }, tickMs);

  return {
    port: sock.port,
    device: (serial) => chargers.get(serial)?.device,
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      for (const c of chargers.values()) c.session.close("bridge is stopping");
      await Promise.all([...chargers.values()].map((c) => c.piped));
      await sock.close();
      await Promise.all(pumps);
      let foreign = 0;
      for (const c of chargers.values()) foreign += c.session.foreignDropped;
      log.info("evsemaster stopped", {
        chargers: chargers.size,
        bad_datagrams: bad,
        dropped_datagrams: sock.dropped,
        discovery_refused: discovery.refused,
        foreign_datagrams: foreign,
      });
    },
  };
}

/** One host link's datagrams into the router: a small object rather than a closure per host. */
class RouteSink implements UnderlyingSink<Decoded<EvseMessage>> {
  constructor(
    private readonly route: (item: Decoded<EvseMessage>, from: Endpoint) => Promise<void>,
    private readonly from: Endpoint,
    private readonly failed: (err: unknown) => void,
  ) {}

  write(item: Decoded<EvseMessage>): Promise<void> {
    return this.route(item, this.from).catch(this.failed);
  }
}
