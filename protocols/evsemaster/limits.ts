// Pure checks on what a command asks for, before anything reaches the EVSE: the current cap and
// start times (the currents themselves go through the charger's ChargeGuard).

import { CommandError } from "../../lib/errors.ts";
import { ChargeGuard } from "../../lib/guard.ts";

/** IEC 61851: a charging current below 6 A cannot be signalled. */
export const MIN_AMPS = 6;
export const MAX_AMPS = 32;
const MAX_RESERVATION_MS = 24 * 3600 * 1000;
/** A start_at this far in the past is a clock or queueing slip: start now. Older is refused. */
const PAST_SLACK_MS = 5 * 60 * 1000;

/** The highest current the bridge may send: min(32, device max, configured max); 0 means the device did not say. */
export function ampsLimit(deviceMaxA: number | undefined, configMaxA: number | undefined): number {
  return Math.min(MAX_AMPS, deviceMaxA || MAX_AMPS, configMaxA ?? MAX_AMPS);
}

/** As ampsLimit, refusing a device that cannot take 6 A: a real 1–5 A must not be silently replaced by 6 A. */
export function ampsCap(deviceMaxA: number | undefined, configMaxA: number | undefined): number {
  const cap = ampsLimit(deviceMaxA, configMaxA);
  if (cap < MIN_AMPS) throw new CommandError(`the charger reports at most ${cap} A, below the ${MIN_AMPS} A minimum: refusing to set a current`);
  return cap;
}

/**
 * The one guard of a charger: 6 A up to ampsLimit, whole amps, `cooldownS` between starts and
 * stops. The device's own maximum is learnt from its beacon, so the cap is read at every command.
 */
export function chargerGuard(deviceMaxA: () => number | undefined, configMaxA: number | undefined, cooldownS: number, now?: () => number): ChargeGuard {
  return new ChargeGuard({
    minA: MIN_AMPS,
    get maxA() {
      return ampsLimit(deviceMaxA(), configMaxA);
    },
    switchIntervalMs: cooldownS * 1000,
    ...(now && { now }),
  });
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
