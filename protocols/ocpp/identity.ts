/**
 * Which identities may hold a session: well-formed, not an alias of another charger's topics, and
 * (with an open door) not one too many.
 */
import { sanitizeSegment } from "../../lib/topics.ts";
import type { OcppSection } from "./config.ts";

/** OCPP 2.0.1 identifierString, max 48: every such id is also a safe URL path segment. */
const IDENTIFIER = /^[A-Za-z0-9*\-_=:+|@.]{1,48}$/;

/** Topic segments of the normalized layout that an identity must not take (`<base>/bridge/state` …). */
export const RESERVED_IDENTITIES = ["bridge", "set", "request", "response", "availability"] as const;
const RESERVED = new Set<string>(RESERVED_IDENTITIES);

/** Why `identity` is unusable, or undefined when it is fine. */
export function identityProblem(identity: string): string | undefined {
  if (!IDENTIFIER.test(identity)) return "identity must be 1–48 characters of a-z A-Z 0-9 * - _ = : + | @ .";
  if (RESERVED.has(identity.toLowerCase())) return `identity "${identity}" is reserved: it would publish into the bridge's own topics (reserved: ${RESERVED_IDENTITIES.join(", ")})`;
  return undefined;
}

export interface IdentityBookDeps {
  /** Identities with a live session. */
  live: ReadonlyMap<string, unknown>;
  /** Charge points that completed a BootNotification and are not forgotten yet. */
  remembered: ReadonlyMap<string, unknown>;
}

/**
 * Topics and hub ids use the sanitised identity (`+` becomes `_`), so two identities that differ
 * only there would share one device: whoever came second would take over the first one's topics
 * and commands, password or not.
 */
export class IdentityBook {
  private readonly configured: Set<string>;

  constructor(private cfg: OcppSection, private deps: IdentityBookDeps) {
    this.configured = new Set([...Object.keys(cfg.chargers), ...cfg.allowed, ...cfg.expected_charge_points]);
  }

  /** Configured identities that alias each other: a config mistake worth one warning at start-up. */
  configuredCollisions(): string[][] {
    const by = new Map<string, string[]>();
    for (const id of this.configured) by.set(sanitizeSegment(id), [...(by.get(sanitizeSegment(id)) ?? []), id]);
    return [...by.values()].filter((ids) => ids.length > 1);
  }

  /** Another identity whose topics `identity` would share, if any. */
  conflict(identity: string): string | undefined {
    const key = sanitizeSegment(identity);
    for (const source of [this.configured, this.deps.live.keys(), this.deps.remembered.keys()]) {
      for (const other of source) if (other !== identity && sanitizeSegment(other) === key) return other;
    }
    return undefined;
  }

  /** True when a new, unconfigured identity would exceed max_charge_points (only with an empty allow-list). */
  full(identity: string): boolean {
    if (this.cfg.allowed.length > 0 || this.configured.has(identity)) return false;
    const { live, remembered } = this.deps;
    if (remembered.has(identity) || live.has(identity)) return false;
    let count = remembered.size;
    for (const id of live.keys()) if (!remembered.has(id)) count++;
    return count >= this.cfg.max_charge_points;
  }
}
