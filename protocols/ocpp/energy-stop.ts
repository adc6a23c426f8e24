/**
 * Stopping the energy of one running transaction after `enabled: false`. OCPP 1.6 lets a charger
 * answer ChangeAvailability Inoperative with `Scheduled` during a transaction and apply it only when
 * the transaction ends, so the availability change alone can leave 11 kW flowing for hours.
 *
 * Step 1: a 0 A TxProfile on the transaction (the car pauses, the session stays). Step 2, when the
 * charger does not accept it or shows no sign of stopping within `stop_verify_s`:
 * RemoteStopTransaction, confirmed by its StopTransaction within another `stop_verify_s`.
 * Once confirmed the stop holds: flow seen again under the profile escalates to step 2.
 */
import { CommandError, errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { NormalizedState } from "../../lib/normalized.ts";
import { CallError, CallTimeoutError } from "./errors.ts";
import { flowOf } from "./meter.ts";
import type { OwnProfile } from "./own-profiles.ts";
import type { CsAction, CsRequest, CsResponse } from "./schemas.ts";

export type StopMeans = "profile_0A" | "remote_stop" | "transaction_ended";

export interface StopOutcome {
  connector: number;
  transaction_id: number;
  stop: StopMeans;
  /** From the disable to the confirmation. */
  took_s: number;
  /** The charger's answers on the way, e.g. `TxProfile 0 A Accepted`. */
  steps: string[];
}

export interface StopEnv {
  call<A extends CsAction>(action: A, payload: CsRequest<A>): Promise<CsResponse<A>>;
  verifyMs: number;
  profileId: number;
  stackLevel: number;
  /** Whether energy is confirmed off changed: `enabled` must be republished. */
  onChange(): void;
  log: Logger;
}

type Phase = "profile" | "verify" | "remote" | "held" | "ended" | "released" | "failed" | "cancelled";

interface Attempt {
  promise: Promise<StopOutcome>;
  resolve(o: StopOutcome): void;
  reject(e: Error): void;
  settled: boolean;
}

function attempt(): Attempt {
  let resolve: (o: StopOutcome) => void = () => {};
  let reject: (e: Error) => void = () => {};
  const promise = new Promise<StopOutcome>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // An escalation nobody waits for must not become an unhandled rejection.
  promise.catch(() => {});
  const a: Attempt = {
    promise,
    resolve: (o) => {
      a.settled = true;
      resolve(o);
    },
    reject: (e) => {
      a.settled = true;
      reject(e);
    },
    settled: false,
  };
  return a;
}

/** How a CALL went, in the words of the reply: the status, `CALLERROR <code>` or `timeout`. */
export function answerOf(err: unknown): string {
  if (err instanceof CallError) return `CALLERROR ${err.code}`;
  if (err instanceof CallTimeoutError) return "timeout";
  return `failed (${errorMessage(err)})`;
}

export class EnergyStop {
  private phase: Phase = "profile";
  private current = attempt();
  private readonly startedAt = Date.now();
  private readonly steps: string[] = [];
  private timers: ReturnType<typeof setTimeout>[] = [];
  /** The latest sign from the charger since the stop began. */
  private evidence: "flow" | "quiet" | undefined;
  private transactionEnded = false;
  /** The 0 A TxProfile is in force on the charger: enabling must clear it. */
  private profileSet = false;

  constructor(readonly connector: number, readonly transactionId: number, private env: StopEnv) {
    void this.sendProfile();
  }

  /** The outcome of the attempt under way (or of the last one). */
  outcome(): Promise<StopOutcome> {
    return this.current.promise;
  }

  /** Under way or holding: a repeated disable joins it instead of sending anything. */
  get joinable(): boolean {
    return this.phase === "profile" || this.phase === "verify" || this.phase === "remote" || this.phase === "held";
  }

  /** Energy is confirmed off and the disable still holds: `enabled` shows false. */
  get holding(): boolean {
    return this.phase === "held" || this.phase === "ended";
  }

  get profileId(): number {
    return this.env.profileId;
  }

  get profileInForce(): boolean {
    return this.profileSet && !this.transactionEnded;
  }

  /** The 0 A TxProfile as the charger holds it, while it is in force. */
  get ownProfile(): OwnProfile | undefined {
    if (!this.profileInForce) return undefined;
    return { id: this.env.profileId, connectorId: this.connector, purpose: "TxProfile", stackLevel: this.env.stackLevel, transactionId: this.transactionId, what: `0 A TxProfile of enabled:false on connector ${this.connector}` };
  }

  onMeter(part: Partial<NormalizedState>): void {
    const flowing = flowOf(part);
    if (flowing === undefined) return;
    const currents = (part.current_a ?? []).filter((c): c is number => typeof c === "number");
    this.sign(flowing ? "flow" : "quiet", flowing ? `meter shows ${part.power_w ?? "?"} W, ${currents.join("/")} A` : "");
  }

  onStatus(status: string): void {
    if (this.phase === "ended") {
      // Finishing: the car is still plugged in after the stop. Anything else is the charger's own word again.
      if (status !== "Finishing") this.settle("released");
      return;
    }
    this.sign(status === "Charging" ? "flow" : "quiet", `status ${status}`);
  }

  onTransactionEnded(): void {
    this.transactionEnded = true;
    const was = this.phase;
    if (was === "profile" || was === "verify" || was === "remote") this.confirm(was === "remote" ? "remote_stop" : "transaction_ended", "ended");
    else if (was === "held") this.settle("ended");
  }

  /** `enabled: true` (or the charger left): stop trying. Returns whether the 0 A profile must be cleared. */
  cancel(why: string): boolean {
    if (!this.current.settled) this.current.reject(new CommandError(why));
    this.settle("cancelled");
    return this.profileInForce;
  }

  /** The charger left before the stop was confirmed. A confirmed stop keeps holding: the profile stays on the charger. */
  abort(why: string): void {
    this.fail(why);
  }

  private sign(e: "flow" | "quiet", what: string): void {
    this.evidence = e;
    if (e === "quiet" && this.phase === "verify") this.confirm("profile_0A", "held");
    else if (e === "flow" && this.phase === "held") void this.remoteStop(`energy flows again under the 0 A TxProfile (${what})`);
  }

  private async sendProfile(): Promise<void> {
    let status: string;
    try {
      const r = await this.env.call("SetChargingProfile", {
        connectorId: this.connector,
        csChargingProfiles: {
          chargingProfileId: this.env.profileId,
          transactionId: this.transactionId,
          stackLevel: this.env.stackLevel,
          chargingProfilePurpose: "TxProfile",
          chargingProfileKind: "Absolute",
          chargingSchedule: { chargingRateUnit: "A", startSchedule: new Date().toISOString(), chargingSchedulePeriod: [{ startPeriod: 0, limit: 0 }] },
        },
      });
      status = r.status;
    } catch (err) {
      status = answerOf(err);
    }
    this.steps.push(`TxProfile 0 A ${status}`);
    if (status === "Accepted") this.profileSet = true;
    if (this.phase === "cancelled" && this.profileInForce) {
      // Enabled again while the profile was on its way: it must not pause the session after all.
      this.env.call("ClearChargingProfile", { id: this.env.profileId }).catch(() => {});
      this.profileSet = false;
    }
    if (this.phase !== "profile") return;
    if (status !== "Accepted") return this.remoteStop(`the charger answered ${status} to the 0 A TxProfile`);
    this.phase = "verify";
    if (this.evidence === "quiet") return this.confirm("profile_0A", "held");
    const s = this.env.verifyMs / 1000;
    this.later(this.env.verifyMs, () => void this.remoteStop(`no sign of the charger stopping within ${s} s of the accepted 0 A TxProfile`));
    // Many chargers sample meter values once a minute: ask for a fresh reading half way.
    this.later(this.env.verifyMs / 2, () => {
      if (this.phase === "verify") this.env.call("TriggerMessage", { requestedMessage: "MeterValues", connectorId: this.connector }).catch(() => {});
    });
  }

  private async remoteStop(why: string): Promise<void> {
    if (this.phase !== "profile" && this.phase !== "verify" && this.phase !== "held") return;
    this.clearTimers();
    // After a confirmed stop the first attempt was answered; joiners now wait for this one.
    const wasHolding = this.holding;
    if (wasHolding) this.current = attempt();
    this.phase = "remote";
    if (wasHolding) this.env.onChange();
    this.env.log.warn("stopping the transaction with RemoteStopTransaction", { connector: this.connector, transaction: this.transactionId, reason: why });
    let status: string;
    try {
      status = (await this.env.call("RemoteStopTransaction", { transactionId: this.transactionId })).status;
    } catch (err) {
      status = answerOf(err);
    }
    this.steps.push(`RemoteStopTransaction ${status}`);
    if (this.phase !== "remote") return;
    if (status !== "Accepted") return this.fail(`${why}, and RemoteStopTransaction was answered ${status}: energy may still flow`);
    const s = this.env.verifyMs / 1000;
    this.later(this.env.verifyMs, () => this.fail(`${why}; the charger accepted RemoteStopTransaction but transaction ${this.transactionId} had not ended ${s} s later: energy may still flow`));
  }

  private confirm(stop: StopMeans, next: "held" | "ended"): void {
    const outcome: StopOutcome = { connector: this.connector, transaction_id: this.transactionId, stop, took_s: Math.round((Date.now() - this.startedAt) / 100) / 10, steps: [...this.steps] };
    this.current.resolve(outcome);
    this.env.log.info("energy stopped", { ...outcome, steps: undefined });
    this.settle(next);
  }

  private fail(why: string): void {
    if (this.phase !== "remote" && this.phase !== "profile" && this.phase !== "verify") return;
    this.env.log.error("could not stop the energy of a transaction", { connector: this.connector, transaction: this.transactionId, error: why });
    this.current.reject(new CommandError(`connector ${this.connector}, transaction ${this.transactionId}: ${why} (${this.steps.join(", ")})`));
    this.settle("failed");
  }

  private settle(phase: Phase): void {
    this.clearTimers();
    const before = this.holding;
    this.phase = phase;
    if (before !== this.holding) this.env.onChange();
  }

  private later(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms));
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
