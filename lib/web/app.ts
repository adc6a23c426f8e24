// The status page's HTTP handler: a pure fetch-style function (Request in, Response out) over the hub
// and the MQTT link, served by lib/web/server.ts through the runtime's own HTTP server.
//
//   GET  /                        the status page (one self-contained document)
//   GET  /events                  Server-Sent Events: a snapshot, then coalesced updates
//   GET  /api/chargers            every charger's normalized state, by id (the MQTT payloads)
//   GET  /api/chargers/<id>       one charger's normalized state
//   POST /api/chargers/<id>/set   the MQTT /set command (only with [web] control = true)
//   GET  /api/bridge              version, uptime, MQTT link
//   GET  /healthz                 200 healthy / 503 not (no credentials needed)
//   GET  /metrics                 Prometheus text format
import { BurstLog } from "../burst-log.ts";
import type { Hub } from "../hub.ts";
import { replyBody } from "../hub-commands.ts";
import type { Logger } from "../log.ts";
import { frameCounters } from "../metrics.ts";
import type { MqttLink } from "../mqtt.ts";
import type { HttpHandler } from "../sockets.ts";
import { basicAuth, CHALLENGE } from "./auth.ts";
import { bridgeMetrics } from "./bridge-metrics.ts";
import type { WebSettings } from "./config.ts";
import { FEED_DEFAULTS, type FeedOptions, LiveFeed } from "./feed.ts";
import { health } from "./health.ts";
import { PowerHistory } from "./history.ts";
import { PAGE, PAGE_CSP } from "./page.ts";
import { type BridgeFacts, bridgeSummary } from "./view.ts";

/** Largest /set body read (a command is a few dozen bytes). */
const MAX_BODY = 4096;

export interface WebAppOptions {
  hub: Hub;
  mqtt: MqttLink;
  settings: WebSettings;
  /** `[mqtt] queue_limit`, for /healthz. */
  queueLimit: number;
  facts: Omit<BridgeFacts, "control">;
  log: Logger;
  feed?: Partial<FeedOptions>;
  now?: () => number;
}

export interface WebApp {
  handler: HttpHandler;
  feed: LiveFeed;
  history: PowerHistory;
  close(): void;
}

const COMMON = { "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...COMMON, "Content-Type": "text/plain; charset=utf-8", ...headers } });
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), { status, headers: { ...COMMON, "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" } });
}

/** The body, or undefined when it is larger than `limit`. */
async function readBody(req: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return undefined;
  const reader = req.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    size += r.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    parts.push(r.value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export function createWebApp(o: WebAppOptions): WebApp {
  const now = o.now ?? Date.now;
  const { settings, hub, mqtt, log } = o;
  const control = settings.control && settings.password !== undefined;
  const facts: BridgeFacts = { ...o.facts, control };
  const history = new PowerHistory(now);
  const unobserve = hub.observe((id, v) => {
    if (v) history.record(id, v.online ? v.state.power_w : null);
    else history.forget(id);
  });
  const feed = new LiveFeed(hub, mqtt, facts, history, log, { ...FEED_DEFAULTS, maxClients: settings.max_clients, ...o.feed }, now);
  const auth = settings.username !== undefined && settings.password !== undefined ? basicAuth({ username: settings.username, password: settings.password }) : undefined;
  const refusedLogins = new BurstLog(log, "status page: wrong user name or password");
  // Series at 0 from the start, so rate() and absent() work before the first event.
  for (const p of o.facts.protocols) frameCounters(p);
  for (const source of ["mqtt", "web"]) for (const result of ["ok", "failed", "rejected"]) hub.commandsTotal.touch({ source, result });

  const setCommand = async (req: Request, id: string, remote: string): Promise<Response> => {
    if (!control) return text(403, "control is off ([web] control = true with username and password switches it on)\n");
    if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) return text(415, "expected Content-Type: application/json\n");
    // Basic credentials are sent by the browser to any site's request: only our own page may command.
    const origin = req.headers.get("origin");
    if (origin !== null && origin !== new URL(req.url).origin && safeHost(origin) !== req.headers.get("host")) return text(403, "cross-origin commands are refused\n");
    const body = await readBody(req, MAX_BODY);
    if (!body) return text(413, `a command is at most ${MAX_BODY} bytes\n`);
    const reply = await hub.command(id, "set", body, "web");
    log.info("command from the status page", { charger: id, remote, result: "error" in reply ? reply.error : "ok" });
    return json("error" in reply ? 422 : 200, replyBody(undefined, reply));
  };

  const handler: HttpHandler = async (req, info) => {
    const url = new URL(req.url);
    const path = url.pathname;
    const read = req.method === "GET" || req.method === "HEAD";
    if (path === "/healthz") {
      if (!read) return text(405, "method not allowed\n", { Allow: "GET, HEAD" });
      const h = health(mqtt, o.queueLimit, settings.health_grace_s, now());
      return json(h.healthy ? 200 : 503, h);
    }
    if (auth && !auth(req.headers.get("authorization"))) {
      if (req.headers.has("authorization")) refusedLogins.note({ remote: info.remoteAddress, path });
      return text(401, "credentials required\n", { "WWW-Authenticate": CHALLENGE });
    }
    const parts = path.split("/").slice(1);
    if (parts[0] === "api" && parts[1] === "chargers" && parts.length === 4 && parts[3] === "set") {
      const id = decodeSegment(parts[2] ?? "");
      if (id === undefined) return text(400, "bad charger id in the path\n");
      if (req.method !== "POST") return text(405, "method not allowed\n", { Allow: "POST" });
      return setCommand(req, id, info.remoteAddress);
    }
    if (!read) return text(405, "method not allowed\n", { Allow: "GET, HEAD" });
    if (path === "/") {
      return new Response(PAGE, { headers: { ...COMMON, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP } });
    }
    if (path === "/events") return feed.open(req.signal);
    if (path === "/metrics") {
      return new Response(bridgeMetrics(facts, hub, mqtt), { headers: { ...COMMON, "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" } });
    }
    if (path === "/api/bridge") return json(200, bridgeSummary(facts, hub, mqtt, now()));
    if (path === "/api/chargers") {
      const all: Record<string, unknown> = {};
      for (const id of [...hub.ids()].sort()) all[id] = hub.state(id);
      return json(200, all);
    }
    if (parts[0] === "api" && parts[1] === "chargers" && parts.length === 3) {
      const id = decodeSegment(parts[2] ?? "");
      const state = id === undefined ? undefined : hub.view(id)?.state;
      return state ? json(200, state) : json(404, { error: `unknown charger "${id ?? parts[2]}"` });
    }
    return text(404, "not found\n");
  };

  return {
    handler,
    feed,
    history,
    close: () => {
      unobserve();
      feed.close();
      refusedLogins.dispose();
    },
  };
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
