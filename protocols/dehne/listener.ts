// Chargers connect in over TCP: one session per connection, one device per serial. Each session's
// events are piped into a sink that feeds its device, which writes the hub and the compatible
// layout; back-pressure from MQTT reaches the socket through that pipe.
import { errorMessage } from "../../lib/errors.ts";
import { formatHostPort, framed, type Link, parseHostPort } from "../../lib/link.ts";
import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { listenTcp } from "../../lib/tcp.ts";
import { dehneCodec } from "./codec.ts";
import { DehneCompat } from "./compat.ts";
import type { DehneConfig } from "./config.ts";
import { DehneDevice } from "./device.ts";
import { DehneSession, type SessionEvent } from "./session.ts";

export interface DehneListener extends Running {
  readonly port: number;
  readonly badFrames: number;
  device(serial: string): DehneDevice | undefined;
}

export async function startDehne(ctx: BridgeContext, cfg: DehneConfig): Promise<DehneListener> {
  const log = ctx.log;
  const devices = new Map<string, DehneDevice>();
  const sessions = new Set<DehneSession>();
  let badFrames = 0;
  const compat = cfg.compatible
    ? new DehneCompat(ctx.mqtt, cfg, log, (id) => [...devices.values()].find((d) => d.clientId === id && d.live))
    : undefined;
  const deviceFor = (serial: string): DehneDevice => {
    let d = devices.get(serial);
    if (!d) {
      d = new DehneDevice(serial, { cfg, hub: ctx.hub, compat, log });
      devices.set(serial, d);
    }
    return d;
  };

  /** Where one session's events go, in order. */
  const sink = (session: DehneSession) => {
    let device: DehneDevice | undefined;
    let slog = log.child({ remote: session.remote });
    return new WritableStream<SessionEvent>({
      write: async (ev) => {
        switch (ev.kind) {
          case "handshake":
            device = deviceFor(ev.handshake.serial);
            slog = slog.child({ charger: device.clientId });
            return device.attach(session, ev.handshake);
          case "message":
            return device?.onMessage(session, ev.message);
          case "bad":
            badFrames++;
            slog.warn("bad frame from charger", { error: ev.error.message, fatal: ev.error.fatal });
            return;
          case "closed":
            sessions.delete(session);
            if (device) device.detach(session, ev.reason);
            else slog.info("connection closed before the handshake", { reason: ev.reason });
        }
      },
    });
  };

  const accept = (link: Link) => {
    const session = new DehneSession(
      framed(link, dehneCodec),
      {
        handshakeTimeoutMs: cfg.handshake_timeout_s * 1000,
        replyTimeoutMs: cfg.reply_timeout_s * 1000,
        pollIntervalMs: cfg.poll_interval_s * 1000,
        maxQueue: 32,
      },
      log.child({ remote: link.remote }),
    );
    sessions.add(session);
    session.events.pipeTo(sink(session)).catch((err: unknown) => {
      log.error("dehne session failed", { remote: link.remote, error: errorMessage(err) });
      session.close(`internal error: ${errorMessage(err)}`);
    });
  };

  const listen = parseHostPort(cfg.listen, 9091);
  const server = await listenTcp(listen, accept);
  log.info("dehne listening", { listen: formatHostPort(listen.host, server.port) });
  compat?.start();

  return {
    port: server.port,
    get badFrames() {
      return badFrames;
    },
    device: (serial) => devices.get(serial),
    stop: async () => {
      for (const d of devices.values()) d.control.dispose();
      for (const s of sessions) s.close("bridge shutting down");
      await server.close();
    },
  };
}
