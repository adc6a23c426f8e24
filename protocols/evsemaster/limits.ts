// Pure checks on what a command asks for, before anything reaches the EVSE: currents and start times.

import { CommandError } from "../../lib/errors.ts";

/** IEC 61851: a charging current below 6 A cannot be signalled. */
export const MIN_AMPS = 6;
export const MAX_AMPS = 32;
const MAX_RESERVATION_MS = 24 * 3600 * 1000;
/** A start_at this far in the past is a clock or queueing slip: start now. Older is refused. */
const PAST_SLACK_MS = 5 * 60 * 1000;

/** The highest current the bridge may send: min(32, device max, configured max). */
export function ampsCap(deviceMaxA: number | undefined, configMaxA: number | undefined): number {
  // 0 means the device did not say; a real 1–5 A must not be silently replaced by 6 A.
  const cap = Math.min(MAX_AMPS, deviceMaxA || MAX_AMPS, configMaxA ?? MAX_AMPS);
  if (cap < MIN_AMPS) throw new CommandError(`the charger reports at most ${cap} A, below the ${MIN_AMPS} A minimum: refusing to set a current`);
  return cap;
}

/**
 * The current to send for `asked`. Only ever lowered: above the cap it is clamped (and the reply
 * says clamped_from), fractions are rounded down, and below 6 A it is refused, because raising a
 * current beyond what was asked is the unsafe direction.
 */
export function pickAmps(asked: number, cap: number, field: string): { amps: number; clamped_from?: number } {
  if (!(asked >= MIN_AMPS)) throw new CommandError(`${field} ${asked} A is below the ${MIN_AMPS} A minimum; use enabled:false to stop charging`);
  const amps = Math.min(cap, Math.floor(asked));
  return amps === asked ? { amps } : { amps, clamped_from: asked };
}

/** When a charge_start should begin (ms): now without start_at, else start_at within −5 min … +24 h. */
export function startAtMs(startAt: string | undefined, now: number): number {
  if (!startAt) return now;
  const at = Date.parse(startAt);
  // Starting now instead would start a session nobody asked for at this time.
  if (now - at > PAST_SLACK_MS) throw new CommandError(`start_at is more than 5 minutes in the past (${startAt}); omit it to start now`);
  if (at - now > MAX_RESERVATION_MS) throw new CommandError(`reservation too far ahead: start_at must be within 24 h (got ${startAt})`);
  return at;
}
