/**
 * Charging profiles sent as raw commands (/request, compat cmd) pass the charger's ChargeGuard like
 * the normalized current_limit_a: nothing above the configured maximum reaches a charger. Runs on
 * the arguments before their validation, which then checks whatever this leaves alone.
 */
import { errorMessage } from "../../lib/errors.ts";
import type { ChargeGuard } from "../../lib/guard.ts";
import { InvalidArgsError } from "./errors.ts";

export interface Clamp {
  /** Where in the OCPP payload (camelCase path). */
  at: string;
  from: number;
  to: number;
  unit: "A" | "W";
}

/** What a profile's limits are checked against: the guard's current rules, and W allowed up to `maxPowerW` (0 = none). */
export interface ProfileLimits {
  guard: Pick<ChargeGuard, "current">;
  maxPowerW: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function refuse(message: string): never {
  throw new InvalidArgsError("PropertyConstraintViolation", message);
}

/** The profile inside each action that carries one; other actions pass untouched. */
const PROFILE_KEY: Record<string, string> = { SetChargingProfile: "csChargingProfiles", RemoteStartTransaction: "chargingProfile" };

/**
 * Returns the payload to send (limits above the maximum lowered, A rounded down to the guard's
 * step) and what was lowered. Throws for a limit between 0 and the minimum (raising it would give
 * more current than was asked for) and for W profiles unless max_power_w allows them. Shapes it
 * does not recognise are left to validation.
 */
export function guardProfiles(action: string, payload: Record<string, unknown>, limits: ProfileLimits): { payload: Record<string, unknown>; clamped: Clamp[] } {
  const key = PROFILE_KEY[action];
  const profile = key === undefined ? undefined : payload[key];
  if (key === undefined || !isRecord(profile) || !isRecord(profile.chargingSchedule)) return { payload, clamped: [] };
  const schedule = profile.chargingSchedule;
  const periods = schedule.chargingSchedulePeriod;
  if (!Array.isArray(periods)) return { payload, clamped: [] };
  const unit = schedule.chargingRateUnit;
  if (unit !== "A" && unit !== "W") return { payload, clamped: [] };
  if (unit === "W" && limits.maxPowerW <= 0) refuse("charging profiles in W are refused (set max_power_w to allow them)");
  const clamped: Clamp[] = [];
  const out = periods.map((p: unknown, i) => {
    if (!isRecord(p) || typeof p.limit !== "number") return p;
    const at = `${key}.chargingSchedule.chargingSchedulePeriod[${i}].limit`;
    const to = unit === "A" ? amps(limits, p.limit, at) : watts(limits, p.limit, at);
    if (to === p.limit) return p;
    clamped.push({ at, from: p.limit, to, unit });
    return { ...p, limit: to };
  });
  if (clamped.length === 0) return { payload, clamped };
  return { payload: { ...payload, [key]: { ...profile, chargingSchedule: { ...schedule, chargingSchedulePeriod: out } } }, clamped };
}

/** The guard's rules (0 A pauses, which OCPP controllers use and which is the safe direction). */
function amps(limits: ProfileLimits, asked: number, at: string): number {
  try {
    return limits.guard.current(asked, at).amps;
  } catch (err) {
    return refuse(errorMessage(err));
  }
}

function watts(limits: ProfileLimits, asked: number, at: string): number {
  if (asked < 0) refuse(`${at} ${asked} W is negative`);
  return Math.min(asked, limits.maxPowerW);
}
