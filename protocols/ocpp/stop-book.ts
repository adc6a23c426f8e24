/**
 * The energy stops of one charge point, one per connector: started (or joined) by `enabled: false`,
 * fed with the charger's StatusNotification, MeterValues and StopTransaction, lifted by `enabled: true`.
 */
import { CommandError, errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { NormalizedState } from "../../lib/normalized.ts";
import type { OcppSection } from "./config.ts";
import { answerOf, EnergyStop, type StopEnv, type StopOutcome } from "./energy-stop.ts";
import type { OwnProfile } from "./own-profiles.ts";

/** A running transaction: [connectorId, transactionId]. */
export type RunningTx = [number, number];

export interface StopBookDeps {
  cfg: OcppSection;
  /** Sends a CALL on the live session; rejects when the charger is not connected. */
  call: StopEnv["call"];
  onChange(connector: number): void;
  log: Logger;
}

export class StopBook {
  private stops = new Map<number, EnergyStop>();

  constructor(private deps: StopBookDeps) {}

  /** Energy on connector n is confirmed off by a disable that still holds. */
  holding(n: number): boolean {
    return this.stops.get(n)?.holding ?? false;
  }

  /** A stop is under way or holding on connector n: nothing may lift its 0 A profile but `enabled: true`. */
  busy(n: number): boolean {
    return this.stops.get(n)?.joinable ?? false;
  }

  /** Every one of these transactions already has a stop under way or holding. */
  covers(running: RunningTx[]): boolean {
    return running.length > 0 && running.every(([n, tx]) => this.joinable(n, tx) !== undefined);
  }

  /** Starts a stop for each transaction (or joins the one under way) and waits for all of them. */
  async stop(running: RunningTx[]): Promise<Record<string, unknown>> {
    const jobs = running.map(([n, tx]) => this.joinable(n, tx) ?? this.start(n, tx));
    const results = await Promise.allSettled(jobs.map((j) => j.outcome()));
    const failed = results.flatMap((r) => (r.status === "rejected" ? [errorMessage(r.reason)] : []));
    if (failed.length > 0) throw new CommandError(`energy could not be confirmed off: ${failed.join("; ")}`);
    const outcomes = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    return summary(outcomes);
  }

  /**
   * `enabled: true` on these connectors: the stops end, and a 0 A profile still in force on a
   * running transaction is cleared so the session resumes. Returns what the charger answered.
   */
  async resume(connectors: number[]): Promise<string | undefined> {
    const answers: string[] = [];
    for (const n of connectors) {
      const job = this.stops.get(n);
      if (!job) continue;
      this.stops.delete(n);
      if (!job.cancel("cancelled by enabled: true before energy was confirmed off")) continue;
      try {
        answers.push(`ClearChargingProfile ${(await this.deps.call("ClearChargingProfile", { id: job.profileId })).status}`);
      } catch (err) {
        answers.push(`ClearChargingProfile ${answerOf(err)}`);
      }
    }
    return answers.length > 0 ? answers.join(", ") : undefined;
  }

  onStatus(n: number, status: string): void {
    this.stops.get(n)?.onStatus(status);
  }

  onMeter(n: number, part: Partial<NormalizedState>): void {
    this.stops.get(n)?.onMeter(part);
  }

  onTransactionEnded(n: number, transactionId: number): void {
    const job = this.stops.get(n);
    if (job?.transactionId === transactionId) job.onTransactionEnded();
  }

  /** The 0 A profiles of stops that are on the charger now (ClearChargingProfile must spare them). */
  ownProfiles(): OwnProfile[] {
    return [...this.stops.values()].flatMap((job) => (job.ownProfile ? [job.ownProfile] : []));
  }

  /** The charger left: stops not yet confirmed fail; confirmed ones keep holding (the profile stays on the charger). */
  abortAll(why: string): void {
    for (const job of this.stops.values()) job.abort(why);
  }

  private joinable(n: number, tx: number): EnergyStop | undefined {
    const job = this.stops.get(n);
    return job?.joinable && job.transactionId === tx ? job : undefined;
  }

  private start(n: number, tx: number): EnergyStop {
    const { cfg } = this.deps;
    const job = new EnergyStop(n, tx, {
      call: this.deps.call,
      verifyMs: cfg.stop_verify_s * 1000,
      // Its own id (above those current_limit_a uses) and one level up, so it neither replaces a
      // limit profile nor ties with one.
      profileId: cfg.profile_id + cfg.max_connectors + 1 + n,
      stackLevel: cfg.profile_stack_level + 1,
      onChange: () => this.deps.onChange(n),
      log: this.deps.log,
    });
    this.stops.set(n, job);
    return job;
  }
}

/** One transaction: its outcome flat in the reply; several (whole-charger disable): listed, with the strongest means as `stop`. */
function summary(outcomes: StopOutcome[]): Record<string, unknown> {
  const [first] = outcomes;
  if (outcomes.length === 1 && first) return { ...first };
  return { stop: outcomes.some((o) => o.stop === "remote_stop") ? "remote_stop" : (first?.stop ?? null), stops: outcomes };
}
