// Who may open an OCPP session, decided before the WebSocket upgrade: identity (§1.1, reserved
// names), subprotocol (§1.2), Basic auth (limited per source address) and allow-list (§1.3),
// aliases and capacity. Refusals are HTTP answers, logged once per burst and status.
import type { Logger } from "../../lib/log.ts";
import type { UpgradeDecision, UpgradeRequest } from "../../lib/websocket.ts";
import { BurstLog } from "../../lib/burst-log.ts";
import { AuthLimiter } from "./auth-limit.ts";
import type { OcppSection } from "./config.ts";
import { type IdentityBook, identityProblem } from "./identity.ts";

export interface Accepted {
  identity: string;
  protocol: string;
  lenient: boolean;
}

/** `?station=` (Grizzl-E), else the last non-empty path segment percent-decoded, else `cp_<ip>`. */
export function resolveIdentity(path: string, query: URLSearchParams, remoteIp: string): { identity: string; fallback: boolean } {
  const station = query.get("station");
  if (station) return { identity: station, fallback: false };
  const last = path.split("/").filter((s) => s.length > 0).at(-1);
  if (last !== undefined) {
    try {
      const decoded = decodeURIComponent(last);
      if (decoded.length > 0) return { identity: decoded, fallback: false };
    } catch {
      // malformed escapes: use the segment as sent
      return { identity: last, fallback: false };
    }
  }
  return { identity: `cp_${remoteIp}`, fallback: true };
}

/**
 * First of our subprotocols (in our preference order) that the client offered; `null` = client
 * offered none and that is allowed (taken as 1.6); `undefined` = no match.
 */
export function chooseSubprotocol(offered: string[], ours: readonly string[], acceptNone: boolean): string | null | undefined {
  if (offered.length === 0) return acceptNone ? null : undefined;
  return ours.find((p) => offered.includes(p));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // node:crypto is fetched on the first password check, not imported: it costs an idle bridge ~3 MiB.
  return a.length === b.length && process.getBuiltinModule("node:crypto").timingSafeEqual(a, b);
}

function base64Bytes(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** User must equal the identity; the password may contain colons or binary bytes, so match the `<identity>:` prefix. */
export function checkBasicAuth(header: string | undefined, identity: string, password: string): boolean {
  const token = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "")?.[1];
  const decoded = token === undefined ? undefined : base64Bytes(token);
  if (!decoded) return false;
  const utf8 = new TextEncoder();
  const prefix = utf8.encode(`${identity}:`);
  if (decoded.length < prefix.length || !sameBytes(decoded.subarray(0, prefix.length), prefix)) return false;
  return sameBytes(decoded.subarray(prefix.length), utf8.encode(password));
}

function prefixMatches(path: string, prefix: string): boolean {
  if (prefix === "" || prefix === "/") return true;
  const p = "/" + prefix.replace(/^\/+/, "");
  return path === p || path.startsWith(p.endsWith("/") ? p : p + "/") || path.startsWith(p + "?");
}

/** Refusals logged once per burst, per HTTP status (a flood of one kind must not hide another). */
export class RefusalLog {
  private readonly byStatus = new Map<number, BurstLog>();

  constructor(private readonly log: Logger, private readonly now?: () => number) {}

  note(status: number, fields: Record<string, unknown>): void {
    let b = this.byStatus.get(status);
    if (!b) this.byStatus.set(status, (b = new BurstLog(this.log, `ocpp connection refused (HTTP ${status})`, 60_000, this.now)));
    b.note({ status, ...fields });
  }

  dispose(): void {
    for (const b of this.byStatus.values()) b.dispose();
  }
}

export interface DoorOptions {
  /** Failed logins per source address (one per listener). */
  auth?: AuthLimiter;
  refusals?: RefusalLog;
  /** For tests: the clock of the limits and burst logs. */
  now?: () => number;
}

export function makeDecider(cfg: OcppSection, log: Logger, book: IdentityBook, opts: DoorOptions = {}): (req: UpgradeRequest) => UpgradeDecision<Accepted> {
  const allowed = new Set(cfg.allowed);
  const auth = opts.auth ?? new AuthLimiter(opts.now);
  const refusals = opts.refusals ?? new RefusalLog(log, opts.now);
  return (req) => {
    const refuse = (status: number, reason: string, fields: Record<string, unknown> = {}, headers: Record<string, string> = {}): UpgradeDecision<Accepted> => {
      refusals.note(status, { reason, remote: req.remoteAddress, path: req.path.slice(0, 200), ...fields });
      return Object.keys(headers).length > 0 ? { accept: false, status, reason, headers } : { accept: false, status, reason };
    };
    if (!prefixMatches(req.path, cfg.path_prefix)) return refuse(404, `path must start with ${cfg.path_prefix}`);
    const { identity, fallback } = resolveIdentity(
      // The prefix itself is not an identity: `/ocpp` with prefix `/ocpp` has none.
      cfg.path_prefix && req.path.replace(/\/+$/, "") === "/" + cfg.path_prefix.replace(/^\/+|\/+$/g, "") ? "/" : req.path,
      req.query,
      req.remoteAddress,
    );
    if (fallback) log.warn("charge point sent no identity in its URL, using the remote address", { charger: identity, path: req.path.slice(0, 200) });
    const problem = identityProblem(identity);
    // JSON.stringify shows control characters and spaces in the log instead of hiding them.
    if (problem) return refuse(400, problem, { charger: JSON.stringify(identity.slice(0, 100)) });
    const protocol = chooseSubprotocol(req.offered, cfg.subprotocols, cfg.accept_no_subprotocol);
    if (protocol === undefined) {
      return refuse(400, `no supported subprotocol; expected one of ${cfg.subprotocols.join(", ")}`, { charger: identity, offered: req.offered.join(",").slice(0, 200) });
    }
    if (allowed.size > 0 && !allowed.has(identity)) return refuse(404, "unknown charge point", { charger: identity });
    const own = Object.hasOwn(cfg.chargers, identity) ? cfg.chargers[identity] : undefined;
    if (own?.password !== undefined || cfg.require_auth) {
      // Refused before the credentials are looked at: guessing gets nothing from here.
      const wait = auth.retryAfterS(req.remoteAddress);
      if (wait > 0) return refuse(429, `too many failed logins from this address; try again in ${wait} s`, { charger: identity }, { "Retry-After": String(wait) });
      const challenge = { "WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"' };
      if (own?.password === undefined) {
        auth.failed(req.remoteAddress);
        return refuse(401, "no credentials configured for this charge point", { charger: identity }, challenge);
      }
      if (!checkBasicAuth(req.headers.get("authorization") ?? undefined, identity, own.password)) {
        auth.failed(req.remoteAddress);
        return refuse(401, "bad credentials", { charger: identity }, challenge);
      }
      auth.succeeded(req.remoteAddress);
    }
    const other = book.conflict(identity);
    if (other !== undefined) return refuse(409, `identity collides with charge point "${other}" in MQTT topics`, { charger: identity, other });
    if (book.full(identity)) return refuse(503, `too many charge points (max_charge_points ${cfg.max_charge_points})`, { charger: identity });
    return { accept: true, protocol, context: { identity, protocol: protocol ?? "ocpp1.6", lenient: own?.lenient ?? cfg.lenient } };
  };
}
