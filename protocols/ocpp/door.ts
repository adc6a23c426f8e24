/** Who may open an OCPP session: identity (§1.1), subprotocol (§1.2), Basic auth and allow-list (§1.3), aliases and capacity. */
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "../../lib/log.ts";
import type { UpgradeDecision, UpgradeRequest } from "../../lib/websocket.ts";
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

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** User must equal the identity; the password may contain colons or binary bytes, so match the `<identity>:` prefix. */
export function checkBasicAuth(header: string | undefined, identity: string, password: string): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, "base64");
  const prefix = Buffer.from(`${identity}:`, "utf8");
  if (decoded.length < prefix.length || !sameBytes(decoded.subarray(0, prefix.length), prefix)) return false;
  return sameBytes(decoded.subarray(prefix.length), Buffer.from(password, "utf8"));
}

function prefixMatches(path: string, prefix: string): boolean {
  if (prefix === "" || prefix === "/") return true;
  const p = "/" + prefix.replace(/^\/+/, "");
  return path === p || path.startsWith(p.endsWith("/") ? p : p + "/") || path.startsWith(p + "?");
}

export function makeDecider(cfg: OcppSection, log: Logger, book: IdentityBook): (req: UpgradeRequest) => UpgradeDecision<Accepted> {
  const allowed = new Set(cfg.allowed);
  return (req) => {
    const refuse = (status: number, reason: string, fields: Record<string, unknown> = {}): UpgradeDecision<Accepted> => {
      log.warn("ocpp connection refused", { status, reason, remote: req.remoteAddress, path: req.path, ...fields });
      return status === 401
        ? { accept: false, status, reason, headers: { "WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"' } }
        : { accept: false, status, reason };
    };
    if (!prefixMatches(req.path, cfg.path_prefix)) return refuse(404, `path must start with ${cfg.path_prefix}`);
    const { identity, fallback } = resolveIdentity(
      // The prefix itself is not an identity: `/ocpp` with prefix `/ocpp` has none.
      cfg.path_prefix && req.path.replace(/\/+$/, "") === "/" + cfg.path_prefix.replace(/^\/+|\/+$/g, "") ? "/" : req.path,
      req.query,
      req.remoteAddress,
    );
    if (fallback) log.warn("charge point sent no identity in its URL, using the remote address", { charger: identity, path: req.path });
    const problem = identityProblem(identity);
    // JSON.stringify shows control characters and spaces in the log instead of hiding them.
    if (problem) return refuse(400, problem, { charger: JSON.stringify(identity.slice(0, 100)) });
    const protocol = chooseSubprotocol(req.offered, cfg.subprotocols, cfg.accept_no_subprotocol);
    if (protocol === undefined) {
      return refuse(400, `no supported subprotocol; expected one of ${cfg.subprotocols.join(", ")}`, { charger: identity, offered: req.offered.join(",") });
    }
    if (allowed.size > 0 && !allowed.has(identity)) return refuse(404, "unknown charge point", { charger: identity });
    const own = Object.hasOwn(cfg.chargers, identity) ? cfg.chargers[identity] : undefined;
    if (own?.password !== undefined || cfg.require_auth) {
      if (own?.password === undefined) return refuse(401, "no credentials configured for this charge point", { charger: identity });
      if (!checkBasicAuth(req.headers.get("authorization") ?? undefined, identity, own.password)) return refuse(401, "bad credentials", { charger: identity });
    }
    const other = book.conflict(identity);
    if (other !== undefined) return refuse(409, `identity collides with charge point "${other}" in MQTT topics`, { charger: identity, other });
    if (book.full(identity)) return refuse(503, `too many charge points (max_charge_points ${cfg.max_charge_points})`, { charger: identity });
    return { accept: true, protocol, context: { identity, protocol: protocol ?? "ocpp1.6", lenient: own?.lenient ?? cfg.lenient } };
  };
}
