// The central system: a WebSocket server, one session per connection, one device per charge point
// identity. Each session's events are piped into a sink that feeds its device and the compatible
// layout; back-pressure from MQTT reaches the socket through that pipe.
import { countedCodec } from "../../lib/metrics.ts";
import { errorMessage } from "../../lib/errors.ts";
import { framed, type MessageLink, parseHostPort } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import { readPem } from "../../lib/pem.ts";
import type { BridgeContext, ChargerRegistry, Running } from "../../lib/protocol.ts";
import { listenWebSocket, type WsServer } from "../../lib/websocket.ts";
import { type AnswerDeps, makeAnswers } from "./answers.ts";
import { ocppCodec } from "./codec.ts";
import { CompatLayer } from "./compat.ts";
import type { OcppSection } from "./config.ts";
import { type DeviceDeps, OcppDevice } from "./device.ts";
import { type Accepted, makeDecider, RefusalLog } from "./door.ts";
import { IdentityBook } from "./identity.ts";
import { OcppStateStore } from "./persist.ts";
import { type AuthPolicy, makePolicy } from "./policy.ts";
import { Roster } from "./roster.ts";
import { OcppSession, type SessionEvent } from "./session.ts";

export interface OcppListener extends Running {
  readonly port: number;
  readonly secure: boolean;
  sessions(): ReadonlyMap<string, OcppSession>;
  device(identity: string): OcppDevice | undefined;
}

/** One session's view of the central system's answers: an object, not closures (one per connected charge point). */
class SessionAnswerDeps implements AnswerDeps {
  constructor(
    readonly cfg: OcppSection,
    readonly policy: AuthPolicy,
    readonly store: OcppStateStore,
    private readonly enabled: (identity: string) => boolean,
    private readonly identity: string,
    private readonly log: Logger,
  ) {}

  chargingEnabled(): boolean {
    return this.enabled(this.identity);
  }

  onRefusedConnector(action: string, n: number): void {
    this.log.warn("connectorId above max_connectors refused", { action, connector: n, max_connectors: this.cfg.max_connectors });
  }
}

export async function startOcpp(ctx: BridgeContext, cfg: OcppSection): Promise<OcppListener> {
  const log = ctx.log.child({ protocol: "ocpp" });
  const store = new OcppStateStore(ctx.stateDir, log);
  const policy = makePolicy(cfg);
  const sessions = new Map<string, OcppSession>();
  const running = new Set<Promise<void>>();
  const devices = new Map<string, OcppDevice>();
  const enabled = (id: string) => store.chargingEnabled(id) ?? cfg.charging_enabled_default;
  const roster = new Roster(cfg, store, sessions);

  const perCharger: SharedDeviceDeps = {
    hub: ctx.hub,
    cfg,
    session: (identity) => sessions.get(identity),
    setChargingEnabled: (identity, on) => {
      store.setChargingEnabled(identity, on);
      void compat?.onChargingEnabled(identity, on);
    },
  };

  // Devices are the charge points we remember; one is made on a session's first valid CALL, so a
  // socket that connects and says nothing leaves no device behind.
  const deviceFor = (identity: string): OcppDevice => {
    let d = devices.get(identity);
    if (!d) {
      d = new OcppDevice(new ChargePointDeps(perCharger, identity, log.child({ charger: identity })));
      devices.set(identity, d);
    }
    return d;
  };

  const compat: CompatLayer | undefined = cfg.compat
    ? new CompatLayer(ctx.mqtt, cfg, {
        liveIdentities: () => [...sessions.keys()],
        // A configured charge point can be switched before it first connects.
        target: (id) => devices.get(id) ?? (roster.isConfigured(id) ? deviceFor(id) : undefined),
        chargingEnabled: enabled,
      }, log)
    : undefined;
  compat?.start();

  const book = new IdentityBook(cfg, { live: sessions, remembered: roster.remembered });
  for (const ids of book.configuredCollisions()) log.warn("configured identities share one MQTT topic segment; each will be refused while another is connected", { chargers: ids });

  /** Clears every trace of a charge point: hub entries (retained state, discovery), compat topics, device. */
  const forget = (identity: string, why: string) => {
    const d = devices.get(identity);
    devices.delete(identity);
    compat?.forget(identity);
    for (const id of d?.hubIds() ?? []) void ctx.hub.remove(id);
    if (d) log.info("charge point forgotten", { charger: identity, reason: why });
  };
  const sweep = () => {
    for (const id of roster.sweep()) forget(id, `gone for more than forget_after_s (${cfg.forget_after_s} s)`);
  };
  const sweeper = cfg.forget_after_s > 0 ? setInterval(sweep, Math.min(60_000, Math.max(50, (cfg.forget_after_s * 1000) / 4))) : undefined;
  const refusals = new RefusalLog(log);
  const decide = makeDecider(cfg, log, book, { refusals });

  // Failures are logged, never fatal: the charger works without them.
  const applyBootConfiguration = (s: OcppSession) => {
    for (const [key, value] of Object.entries(cfg.boot_configuration)) {
      s.call("ChangeConfiguration", { key, value })
        .then((r) => log.info("boot configuration applied", { charger: s.identity, key, status: r.status }))
        .catch((err: unknown) => log.warn("boot configuration failed", { charger: s.identity, key, error: errorMessage(err) }));
    }
  };

  const sinkDeps: SinkDeps = {
    sessions,
    compat,
    deviceFor,
    device: (id) => devices.get(id),
    hasDevice: (id) => devices.has(id),
    booted: (session) => {
      roster.booted(session.identity);
      // Its CALLs go out after the BootNotification reply (a CALL of ours sends held replies
      // first): a charger is not "accepted" before it.
      applyBootConfiguration(session);
    },
    left: (id) => {
      // A made-up identity must not keep a place among max_charge_points, nor topics.
      if (roster.left(id)) forget(id, "it left without a BootNotification");
    },
  };
  // Shared by every connection: the codec makes fresh decoder state per link.
  const codec = countedCodec(ocppCodec(cfg.max_message_bytes), "ocpp", (d) => !d.ok);

  const onConnection = (conn: MessageLink, acc: Accepted) => {
    const slog = log.child({ charger: acc.identity });
    // Two aliases can both pass the door while neither is live yet.
    const other = book.conflict(acc.identity);
    if (other !== undefined) {
      slog.warn("ocpp connection refused after the handshake: identity collides in MQTT topics", { other, remote: conn.remote });
      conn.close("identity collides with another charge point", 1008);
      return;
    }
    const old = sessions.get(acc.identity);
    if (old) {
      slog.info("new connection replaces the old session", { old: old.remote, remote: conn.remote });
      sessions.delete(acc.identity);
      old.close(1000, "replaced by a new connection", "session_cancelled");
    }
    const session = new OcppSession(
      { ...framed(conn, codec), protocol: conn.protocol },
      makeAnswers(new SessionAnswerDeps(cfg, policy, store, enabled, acc.identity, slog)),
      { identity: acc.identity, lenient: acc.lenient, callTimeoutMs: cfg.call_timeout_s * 1000, maxBadMessages: cfg.max_bad_messages, log: slog },
    );
    sessions.set(acc.identity, session);
    slog.info("charge point connected", { remote: conn.remote, subprotocol: conn.protocol || "(none, taken as ocpp1.6)", lenient: acc.lenient });
    // A charger we already know is back at once; a new one only once it has said something valid.
    const known = devices.get(acc.identity);
    if (known) {
      known.attach();
      void compat?.onConnected(acc.identity);
    }
    const p = session.events.pipeTo(new WritableStream(new SessionSink(sinkDeps, session, known !== undefined, slog))).catch((err: unknown) => {
      slog.error("session failed", { error: errorMessage(err) });
      session.close(1011, "internal error", "internal_error");
    });
    running.add(p);
    void p.finally(() => running.delete(p));
  };

  const listen = parseHostPort(cfg.listen, 9000);
  const tls = cfg.tls_cert && cfg.tls_key ? { cert: readPem(cfg.tls_cert, "[ocpp] tls_cert"), key: readPem(cfg.tls_key, "[ocpp] tls_key") } : undefined;
  const server: WsServer = await listenWebSocket<Accepted>({
    host: listen.host,
    port: listen.port,
    tls,
    pingIntervalMs: cfg.ping_interval_s * 1000,
    maxMissedPongs: cfg.ping_misses,
    maxPayload: cfg.max_message_bytes * 4,
    // Forgetting first, so the count max_charge_points is held to is exact.
    decide: (req) => {
      sweep();
      return decide(req);
    },
    log,
    onConnection,
  });
  log.info("ocpp central system listening", { url: `${server.secure ? "wss" : "ws"}://${listen.host}:${server.port}${cfg.path_prefix ? "/" + cfg.path_prefix.replace(/^\/+/, "") : ""}/<identity>` });

  return {
    port: server.port,
    secure: server.secure,
    sessions: () => sessions,
    device: (identity) => devices.get(identity),
    stop: async () => {
      if (sweeper) clearInterval(sweeper);
      refusals.dispose();
      roster.stopping();
      store.flush();
      compat?.stop();
      await server.close();
      await Promise.race([Promise.all([...running]), new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}

/** What every device's deps share. */
interface SharedDeviceDeps {
  hub: ChargerRegistry;
  cfg: OcppSection;
  session(identity: string): OcppSession | undefined;
  setChargingEnabled(identity: string, on: boolean): void;
}

/** One charge point's device deps: an object, not closures (one per remembered charge point). */
class ChargePointDeps implements DeviceDeps {
  readonly hub: ChargerRegistry;
  readonly cfg: OcppSection;

  constructor(private readonly shared: SharedDeviceDeps, readonly identity: string, readonly log: Logger) {
    this.hub = shared.hub;
    this.cfg = shared.cfg;
  }

  session(): OcppSession | undefined {
    return this.shared.session(this.identity);
  }

  setChargingEnabled(on: boolean): void {
    this.shared.setChargingEnabled(this.identity, on);
  }
}

/** What every session's sink shares: the listener's bookkeeping. */
interface SinkDeps {
  sessions: Map<string, OcppSession>;
  compat: CompatLayer | undefined;
  deviceFor(identity: string): OcppDevice;
  device(identity: string): OcppDevice | undefined;
  hasDevice(identity: string): boolean;
  /** A BootNotification was answered. */
  booted(session: OcppSession): void;
  /** The identity's live session ended. */
  left(identity: string): void;
}

/**
 * Where one session's events go, in order; `announced`: the charger is visible in both layouts.
 * A class, as the bridge holds one per connected charge point.
 */
class SessionSink implements UnderlyingSink<SessionEvent> {
  constructor(private readonly deps: SinkDeps, private readonly session: OcppSession, private announced: boolean, private readonly log: Logger) {}

  async write(ev: SessionEvent): Promise<void> {
    try {
      await this.handle(ev);
    } catch (err) {
      // Publishing problems must never turn into CALLERRORs or stall the socket (§3.6).
      this.log.error("event handling failed", { event: ev.kind === "call" ? ev.event.action : ev.kind, error: errorMessage(err) });
    } finally {
      // The charger's answer goes out now that MQTT has the event: its next CALL waits for that.
      if (ev.kind === "call") ev.handled();
    }
  }

  private async handle(ev: SessionEvent): Promise<void> {
    const { deps, session } = this;
    const id = session.identity;
    if (ev.kind === "call") {
      // A replaced session's late events must not touch its successor's state.
      if (deps.sessions.get(id) !== session) return;
      if (!this.announced) {
        this.announced = true;
        await deps.compat?.onConnected(id);
      }
      await deps.compat?.onEvent(id, ev.event);
      await deps.deviceFor(id).onEvent(ev.event);
      if (ev.event.action === "BootNotification") deps.booted(session);
      return;
    }
    this.log.info("charge point disconnected", { reason: ev.reason });
    // A replaced session must not mark its successor offline.
    if (ev.reason !== "session_cancelled" && deps.sessions.get(id) === session) {
      deps.sessions.delete(id);
      if (this.announced) {
        deps.device(id)?.detach();
        await deps.compat?.onDisconnected(id, ev.reason);
      }
      deps.left(id);
    } else if (ev.reason === "session_cancelled" && deps.sessions.has(id) && deps.hasDevice(id)) {
      // Only while the successor is live: after it has gone, its own reason is the true one.
      await deps.compat?.onReplaced(id);
    }
  }
}
