/** idTag authorisation (spec §7.5 with F14). */
import type { OcppSection } from "./config.ts";

export type AuthStatus = "Accepted" | "Blocked" | "Invalid";

export interface AuthPolicy {
  authorize(idTag: string, chargingEnabled: boolean): AuthStatus;
  startTransaction(idTag: string, chargingEnabled: boolean): AuthStatus;
}

/** 1.6 IdToken is a CiString20, so tags compare case-insensitively (F14). */
function tagSet(tags: string[]): Set<string> {
  return new Set(tags.map((t) => t.toLowerCase()));
}

export function makePolicy(cfg: Pick<OcppSection, "auth_policy" | "authorized_tags">): AuthPolicy {
  const tags = tagSet(cfg.authorized_tags);
  const listed = (t: string) => tags.has(t.toLowerCase());
  switch (cfg.auth_policy) {
    case "accept_all":
      return { authorize: () => "Accepted", startTransaction: () => "Accepted" };
    case "tags":
      return {
        authorize: (t) => (listed(t) ? "Accepted" : "Invalid"),
        startTransaction: (t) => (listed(t) ? "Accepted" : "Invalid"),
      };
    case "charging_enabled":
      return {
        // Blocked only for "charging switched off"; an unknown tag is Invalid (F14).
        authorize: (t, on) => (!listed(t) ? "Invalid" : on ? "Accepted" : "Blocked"),
        // As ocpp2mqtt: the list is not consulted, so remote starts with any tag work.
        startTransaction: (_t, on) => (on ? "Accepted" : "Blocked"),
      };
  }
}

/** ocpp2mqtt's truthy spellings for the charging_enabled pseudo-command; anything else is OFF. */
export function parseOnOff(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return ["ON", "TRUE", "1", "YES", "Y"].includes(v.trim().toUpperCase());
  return false;
}
