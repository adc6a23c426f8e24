// Starting, stopping and limiting one charge point's connectors: the normalized `enabled` and
// `current_limit_a`. One ChargeGuard per hub device (`<id>` for connectors 0 and 1, `<id>_<n>`
// for connector n) checks every one of them before anything is sent.
import { CommandError } from "../../lib/errors.ts";
import { ChargeGuard, type CurrentDecision } from "../../lib/guard.ts";
import type { Logger } from "../../lib/log.ts";
import type { NormalizedState } from "../../lib/normalized.ts";
import type { OcppSection } from "./config.ts";
import type { Connectors } from "./connectors.ts";
import { applyCurrentLimit, type Call } from "./current-limit.ts";
import { answerOf } from "./energy-stop.ts";
import { CallTimeoutError } from "./errors.ts";
import type { OwnProfiles } from "./own-profiles.ts";
import type { StopBook } from "./stop-book.ts";

export interface ControlDeps {
  cfg: OcppSection;
  /** Sends a CALL on the live session; rejects when the charger is not connected. */
  call: Call;
  connectors: Connectors;
  stops: StopBook;
  profiles: OwnProfiles;
  /** Normalized fields a command changed, for the device of `connectorId` (0 and 1: `<id>`). */
  update(connectorId: number, part: Partial<NormalizedState>): void;
  log: Logger;
}

/** The guard (and hub device) a connector belongs to: 0 and 1 are `<id>`, n ≥ 2 is `<id>_<n>`. */
export function deviceOf(connectorId: number): number {
  return connectorId <= 1 ? 1 : connectorId;
}

export class Control {
  private readonly guards = new Map<number, ChargeGuard>();
  /** The last availability we asked for, per connectorId (0 = whole charger). */
  private readonly asked = new Map<number, boolean>();

  constructor(private readonly deps: ControlDeps) {}

  guard(connectorId: number): ChargeGuard {
    const key = deviceOf(connectorId);
    let g = this.guards.get(key);
    if (!g) {
      const { cfg } = this.deps;
      g = new ChargeGuard({ minA: cfg.min_current_a, maxA: cfg.max_current_a, switchIntervalMs: cfg.switch_min_interval_s * 1000, allowZero: true, stepA: 0.1 });
      this.guards.set(key, g);
    }
    return g;
  }

  /**
   * ChangeAvailability for `enabled`, rate-limited per device (the switch is claimed when the
   * command is sent; a rejected or failed flip gives it back, a timed-out one does not). A disable
   * that meets a running transaction also stops its energy (see StopBook) and answers once that
   * is confirmed.
   */
  async setEnabled(connectorId: number, on: boolean): Promise<Record<string, unknown>> {
    const { stops, connectors } = this.deps;
    const running = connectors.running(connectorId);
    // A stop under way or holding: a repeated disable sends nothing, moves no deadline, and answers with that stop's outcome.
    if (!on && this.asked.get(connectorId) === false && stops.covers(running)) return { enabled: "joined", ...(await stops.stop(running)) };
    const before = this.asked.get(connectorId);
    const decision = this.guard(connectorId).switching(on, before, on ? "enabling" : "disabling");
    // Claimed before the await: several /set arriving together must not all see a free slot.
    const undo = decision.redundant ? () => {} : decision.undo;
    this.asked.set(connectorId, on);
    const giveBack = () => {
      undo();
      if (this.asked.get(connectorId) !== on) return;
      if (before === undefined) this.asked.delete(connectorId);
      else this.asked.set(connectorId, before);
    };
    let status: string;
    try {
      status = (await this.deps.call("ChangeAvailability", { connectorId, type: on ? "Operative" : "Inoperative" })).status;
    } catch (err) {
      // Stopping the energy of a running transaction must not hinge on the availability change.
      if (on || running.length === 0) {
        // After a timeout the charger may well have switched: the claim stands.
        if (!(err instanceof CallTimeoutError)) giveBack();
        throw err;
      }
      status = answerOf(err);
    }
    if (!on && running.length > 0) return { enabled: status, ...(await stops.stop(running)) };
    if (status === "Rejected") {
      giveBack();
      throw new CommandError("charger rejected ChangeAvailability");
    }
    if (on) {
      const resumed = await stops.resume(connectorId === 0 ? connectors.numbers().filter((n) => n >= 1) : [connectorId]);
      this.deps.update(connectorId, { enabled: true });
      return { enabled: status, ...(resumed ? { resume: resumed } : {}) };
    }
    if (status === "Scheduled") {
      throw new CommandError("the charger answered Scheduled: it runs a transaction the bridge has not seen start (begun before a restart?), which it cannot stop by id; energy may flow until that transaction ends");
    }
    this.deps.update(connectorId, { enabled: false });
    return { enabled: status };
  }

  /**
   * `current_limit_a` (already checked by the guard) as a charging profile. While a stop is under
   * way or holds, no TxProfile may lift its 0 A on the running transaction.
   */
  async setLimit(connectorId: number, limit: CurrentDecision): Promise<Record<string, unknown>> {
    const target = deviceOf(connectorId);
    const running = this.deps.stops.busy(target) ? undefined : this.deps.connectors.peek(target)?.transactionId;
    const applied = await applyCurrentLimit(this.deps.call, this.deps.cfg, connectorId, limit.amps, running);
    this.deps.profiles.set(applied.own);
    this.deps.update(connectorId, { current_limit_a: limit.amps });
    return {
      ...(limit.clamped_from !== undefined ? { clamped_from: limit.clamped_from } : {}),
      current_limit_a: limit.amps,
      profile: applied.profile,
      ...(applied.tried.length > 1 ? { tried: applied.tried } : {}),
    };
  }
}
