/**
 * Charging profiles sent as raw commands (/request, compat cmd) obey the same limits as the
 * normalized current_limit_a: nothing above the configured maximum reaches a charger.
 */
import type { OcppSection } from "./config.ts";
import { InvalidArgsError } from "./rpc.ts";

export interface Clamp {
  /** Where in the OCPP payload (camelCase path). */
  at: string;
  from: number;
  to: number;
  unit: "A" | "W";
}

type Limits = Pick<OcppSection, "min_current_a" | "max_current_a" | "max_power_w">;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function refuse(message: string): never {
  throw new InvalidArgsError("PropertyConstraintViolation", message);
}

/** The profile inside each action that carries one; other actions pass untouched. */
const PROFILE_KEY: Record<string, string> = { SetChargingProfile: "csChargingProfiles", RemoteStartTransaction: "chargingProfile" };

/**
 * Returns the payload to send (limits above the maximum lowered) and what was lowered. Throws for
 * a limit between 0 and min_current_a (raising it would give more current than was asked for) and for W
 * profiles unless max_power_w allows them. Shapes it does not recognise are left to validation.
 */
export function guardProfiles(action: string, payload: Record<string, unknown>, limits: Limits): { payload: Record<string, unknown>; clamped: Clamp[] } {
  const key = PROFILE_KEY[action];
  const profile = key === undefined ? undefined : payload[key];
  if (key === undefined || !isRecord(profile) || !isRecord(profile.chargingSchedule)) return { payload, clamped: [] };
  const schedule = profile.chargingSchedule;
  const periods = schedule.chargingSchedulePeriod;
  if (!Array.isArray(periods)) return { payload, clamped: [] };
  const unit = schedule.chargingRateUnit;
  if (unit !== "A" && unit !== "W") return { payload, clamped: [] };
  if (unit === "W" && limits.max_power_w <= 0) refuse("charging profiles in W are refused (set max_power_w to allow them)");
  const max = unit === "A" ? limits.max_current_a : limits.max_power_w;
  const clamped: Clamp[] = [];
  const out = periods.map((p: unknown, i) => {
    if (!isRecord(p) || typeof p.limit !== "number") return p;
    const at = `${key}.chargingSchedule.chargingSchedulePeriod[${i}].limit`;
    // 0 A pauses charging, which OCPP controllers use and which is the safe direction.
    if (unit === "A" && p.limit !== 0 && p.limit < limits.min_current_a) {
      refuse(`${at} ${p.limit} A is below the minimum ${limits.min_current_a} A; use ChangeAvailability or RemoteStopTransaction to stop`);
    }
    if (unit === "W" && p.limit < 0) refuse(`${at} ${p.limit} W is negative`);
    if (p.limit <= max) return p;
    clamped.push({ at, from: p.limit, to: max, unit });
    return { ...p, limit: max };
  });
  if (clamped.length === 0) return { payload, clamped };
  return { payload: { ...payload, [key]: { ...profile, chargingSchedule: { ...schedule, chargingSchedulePeriod: out } } }, clamped };
}
