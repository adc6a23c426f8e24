// Chargers connect in over TCP: one session per connection, one device per serial. Each session's
// events are piped into a sink that feeds its device, which writes the hub and the compatible
// layout; back-pressure from MQTT reaches the socket through that pipe.
import { countedCodec } from "../../lib/metrics.ts";
import { BurstLog } from "../../lib/burst-log.ts";
import { errorMessage } from "../../lib/errors.ts";
import { formatHostPort, framed, type Link, parseHostPort } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
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
  const allowed = new Set(cfg.allowed_serials);
  const refusals = new BurstLog(log, "dehne charger refused");
  /** The device for a serial, or why a connection with it is refused (allow-list, device cap). */
  const deviceFor = (serial: string): DehneDevice | string => {
    let d = devices.get(serial);
    if (d) return d;
    if (allowed.size > 0 && !allowed.has(serial)) return "serial not in allowed_serials";
    if (devices.size >= cfg.max_chargers) return `max_chargers (${cfg.max_chargers}) reached`;
    d = new DehneDevice(serial, { cfg, hub: ctx.hub, compat, log });
    devices.set(serial, d);
    return d;
  };
  // Chargers gone for longer than forget_after_s: device, retained topics and discovery go.
  const forgetMs = cfg.forget_after_s * 1000;
  const sweeper = forgetMs > 0
    ? setInterval(() => {
        const now = Date.now();
        for (const [serial, d] of devices) {
          if (d.live || now - d.lastSeenAt < forgetMs) continue;
          devices.delete(serial);
          d.control.dispose();
          log.info("dehne charger forgotten after being offline", { charger: d.clientId, offline_s: Math.round((now - d.lastSeenAt) / 1000) });
          void ctx.hub.remove(serial);
        }
      }, Math.min(forgetMs, 3_600_000))
    : undefined;

  const feed: SinkDeps = {
    deviceFor,
    refused: (note) => refusals.note(note),
    badFrame: () => void badFrames++,
    ended: (session) => void sessions.delete(session),
  };
  // Shared by every connection: the codec makes fresh decoder state per link.
  const codec = countedCodec(dehneCodec, "dehne", (i) => i.kind === "bad" || i.kind === "fatal");
  const sessionOpts = {
    handshakeTimeoutMs: cfg.handshake_timeout_s * 1000,
    replyTimeoutMs: cfg.reply_timeout_s * 1000,
    pollIntervalMs: cfg.poll_interval_s * 1000,
    maxQueue: 32,
  };

  const accept = (link: Link) => {
    const slog = log.child({ remote: link.remote });
    const session = new DehneSession(framed(link, codec), sessionOpts, slog);
    sessions.add(session);
    session.events.pipeTo(new WritableStream(new SessionSink(feed, session, slog))).catch((err: unknown) => {
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
      if (sweeper) clearInterval(sweeper);
      refusals.dispose();
      for (const d of devices.values()) d.control.dispose();
      for (const s of sessions) s.close("bridge shutting down");
      await server.close();
    },
  };
}

/** What every connection's sink shares: the listener's bookkeeping. */
interface SinkDeps {
  deviceFor(serial: string): DehneDevice | string;
  refused(note: { serial: string; remote: string; reason: string }): void;
  badFrame(): void;
  ended(session: DehneSession): void;
}

/** Where one session's events go, in order: a class, as the bridge holds one per connected charger. */
class SessionSink implements UnderlyingSink<SessionEvent> {
  private device: DehneDevice | undefined;

  constructor(private readonly deps: SinkDeps, private readonly session: DehneSession, private readonly log: Logger) {}

  write(ev: SessionEvent): Promise<void> | undefined {
    const session = this.session;
    switch (ev.kind) {
      case "handshake": {
        const d = this.deps.deviceFor(ev.handshake.serial);
        if (typeof d === "string") {
          this.deps.refused({ serial: ev.handshake.serial, remote: session.remote, reason: d });
          session.close(`refused: ${d}`);
          return;
        }
        this.device = d;
        return d.attach(session, ev.handshake);
      }
      case "message":
        return this.device?.onMessage(session, ev.message);
      case "bad":
        this.deps.badFrame();
        // The charger's name is a field of the line, not of a child logger kept per connection.
        this.log.warn("bad frame from charger", { ...(this.device ? { charger: this.device.clientId } : {}), error: ev.error.message, fatal: ev.error.fatal });
        return;
      case "closed":
        this.deps.ended(session);
        if (this.device) this.device.detach(session, ev.reason);
        else if (!session.handshake) this.log.info("connection closed before the handshake", { reason: ev.reason });
    }
  }
}
