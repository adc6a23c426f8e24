/** The central system: the WebSocket server plus one session per charge point identity. */
import { readPem } from "../../lib/pem.ts";
import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { type MessageLink, parseHostPort } from "../../lib/link.ts";
import { listenWebSocket, type WsServer } from "../../lib/websocket.ts";
import { CompatLayer } from "./compat.ts";
import type { OcppSection } from "./config.ts";
import { Session } from "./driver.ts";
import { IdentityBook } from "./identity.ts";
import { NormalizedView } from "./normalize.ts";
import { OcppStateStore } from "./persist.ts";
import { makePolicy } from "./policy.ts";
import { type Accepted, makeDecider } from "./server.ts";

export interface CentralSystem extends Running {
  readonly port: number;
  readonly secure: boolean;
  sessions(): ReadonlyMap<string, Session>;
}

export async function startCentralSystem(ctx: BridgeContext, cfg: OcppSection): Promise<CentralSystem> {
  const log = ctx.log.child({ protocol: "ocpp" });
  const store = new OcppStateStore(ctx.stateDir, log);
  const policy = makePolicy(cfg);
  const sessions = new Map<string, Session>();
  const running = new Set<Promise<void>>();
  const views = new Map<string, NormalizedView>();
  const enabled = (id: string) => store.chargingEnabled(id) ?? cfg.charging_enabled_default;
  const setEnabled = (id: string, on: boolean) => store.setChargingEnabled(id, on);

  const compat = cfg.compat
    ? new CompatLayer(ctx.mqtt, cfg, {
        session: (id) => sessions.get(id),
        liveIdentities: () => [...sessions.keys()],
        chargingEnabled: enabled,
        setChargingEnabled: setEnabled,
      }, log)
    : undefined;
  compat?.start();

  // Views are the charge points we remember; one is made on a session's first valid CALL, so a
  // socket that connects and says nothing leaves no device behind.
  const viewFor = (identity: string): NormalizedView => {
    let v = views.get(identity);
    if (!v) {
      v = new NormalizedView({
        hub: ctx.hub,
        cfg,
        identity,
        session: () => sessions.get(identity),
        log: log.child({ charger: identity }),
        setChargingEnabled: (on) => {
          setEnabled(identity, on);
          compat?.onChargingEnabled(identity, on);
        },
      });
      views.set(identity, v);
    }
    return v;
  };
  const book = new IdentityBook(cfg, { live: sessions, remembered: views });
  for (const ids of book.configuredCollisions()) log.warn("configured identities share one MQTT topic segment; each will be refused while another is connected", { chargers: ids });

  // Failures are logged, never fatal: the charger works without them.
  const applyBootConfiguration = (s: Session) => {
    for (const [key, value] of Object.entries(cfg.boot_configuration)) {
      s.call("ChangeConfiguration", { key, value })
        .then((r) => log.info("boot configuration applied", { charger: s.identity, key, status: r.status }))
        .catch((err) => log.warn("boot configuration failed", { charger: s.identity, key, error: String(err) }));
    }
  };

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
    // A charger we already know is back at once; a new one only once it has said something valid.
    let announced = views.has(acc.identity);
    const session: Session = new Session({
      identity: acc.identity,
      conn,
      cfg,
      lenient: acc.lenient,
      store,
      policy,
      log: slog,
      chargingEnabled: () => enabled(acc.identity),
      onEvent: (s, ev) => {
        if (sessions.get(s.identity) !== s) return;
        if (!announced) {
          announced = true;
          compat?.onConnected(s.identity);
        }
        compat?.onEvent(s.identity, ev);
        viewFor(s.identity).onEvent(ev);
        // After the BootNotification reply has gone out: a charger is not "accepted" before it.
        if (ev.action === "BootNotification") setTimeout(() => applyBootConfiguration(s), 0);
      },
      onClose: (s, reason) => {
        slog.info("charge point disconnected", { reason });
        // A replaced session must not mark its successor offline.
        if (reason !== "session_cancelled" && sessions.get(s.identity) === s) {
          sessions.delete(s.identity);
          if (announced) {
            views.get(s.identity)?.detach();
            compat?.onDisconnected(s.identity, reason);
          }
        } else if (reason === "session_cancelled" && sessions.has(s.identity) && views.has(s.identity)) {
          // Only while the successor is live: after it has gone, its own reason is the true one.
          compat?.onReplaced(s.identity);
        }
      },
    });
    sessions.set(acc.identity, session);
    slog.info("charge point connected", { remote: conn.remote, subprotocol: conn.protocol || "(none, taken as ocpp1.6)", lenient: acc.lenient });
    if (announced) {
      views.get(acc.identity)?.attach();
      compat?.onConnected(acc.identity);
    }
    const p = session.run().catch((err) => slog.error("session failed", { error: String(err) }));
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
    decide: makeDecider(cfg, log, book),
    log,
    onConnection,
  });
  log.info("ocpp central system listening", { url: `${server.secure ? "wss" : "ws"}://${listen.host}:${server.port}${cfg.path_prefix ? "/" + cfg.path_prefix.replace(/^\/+/, "") : ""}/<identity>` });

  return {
    port: server.port,
    secure: server.secure,
    sessions: () => sessions,
    stop: async () => {
      compat?.stop();
      await server.close();
      await Promise.race([Promise.all([...running]), new Promise((r) => setTimeout(r, 3000))]);
    },
  };
}
