// A ChargeStopResponse says the charger took the command, not that the output is off: the stop is
// confirmed by a status datagram received after it that shows no session and no power (§5.4, §7).

import { CommandError } from "../../lib/errors.ts";
import type { EvseCharger } from "./driver.ts";
import { computedPowerW, type StatusData } from "./evse-payloads.ts";
import { ReplyTimeoutError } from "./pending.ts";
import { statusActive } from "./view.ts";

/** At or below this the output counts as off (meter noise). */
export const STOPPED_POWER_W = 100;

export type StopCheck = { stopped: true; status: StatusData } | { stopped: false; last: StatusData | null };

export function isStopped(s: StatusData): boolean {
  return !statusActive(s) && computedPowerW(s) <= STOPPED_POWER_W;
}

/** What a status shows, for an error reply. */
export function describeStatus(s: StatusData): string {
  return `output ${s.outputState === 1 ? "on" : "off"}, state ${s.currentState}, ${computedPowerW(s)} W`;
}

/**
 * Waits until `deadline` (ms) for a status newer than the `countBefore`-th one that shows the
 * output off. A lost session or the charger going offline is an error of its own.
 */
export async function confirmStopped(d: EvseCharger, countBefore: number, deadline: number): Promise<StopCheck> {
  let last: StatusData | null = d.statusCount > countBefore ? d.view.status : null;
  for (;;) {
    if (last && isStopped(last)) return { stopped: true, status: last };
    const left = deadline - Date.now();
    if (left <= 0) return { stopped: false, last };
    try {
      last = await d.pending.wait<StatusData>("status", left, "status datagram");
    } catch (err) {
      if (err instanceof ReplyTimeoutError) return { stopped: false, last };
      throw new CommandError(`${err instanceof Error ? err.message : String(err)}, before the stop was confirmed by the charger's status: energy may still flow`);
    }
  }
}
