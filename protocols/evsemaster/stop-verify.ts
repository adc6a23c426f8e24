// A ChargeStopResponse says the charger took the command, not that the output is off: the stop is
// confirmed by a status datagram received after it that shows no session and no power (§5.4, §7).

import { CommandError, errorMessage, TimeoutError } from "../../lib/errors.ts";
import type { CommandSession } from "./context.ts";
import { computedPowerW, type StatusData } from "./evse-payloads.ts";
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
export async function confirmStopped(s: Pick<CommandSession, "statusCount" | "status" | "nextStatus">, countBefore: number, deadline: number, now: () => number): Promise<StopCheck> {
  let last: StatusData | null = s.statusCount > countBefore ? s.status : null;
  for (;;) {
    if (last && isStopped(last)) return { stopped: true, status: last };
    const left = deadline - now();
    if (left <= 0) return { stopped: false, last };
    try {
      const m = await s.nextStatus(left);
      if (m.type === "status") last = m.status;
    } catch (err) {
      if (err instanceof TimeoutError) return { stopped: false, last };
      throw new CommandError(`${errorMessage(err)}, before the stop was confirmed by the charger's status: energy may still flow`);
    }
  }
}
