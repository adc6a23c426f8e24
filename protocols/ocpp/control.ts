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
import { clearRemoves, type OwnProfile, type OwnProfiles } from "./own-profiles.ts";
import type { CsRequest, CsResponse } from "./schemas.ts";
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

/** The last availability asked for a connectorId, and the charger's answer ("pending" until it comes). */
interface Asked {
  on: boolean;
  answer: string;
}

export class Control {
  private readonly guards = new Map<number, ChargeGuard>();
  private readonly asked = new Map<number, Asked>();

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
   * `enabled` as ChangeAvailability, through the guard (the switch is claimed when the command is
   * sent; a rejected or failed flip gives it back, a timed-out one does not). A disable that meets
   * a running transaction also stops its energy (see StopBook) and answers once that is confirmed.
   */
  async setEnabled(connectorId: number, on: boolean): Promise<Record<string, unknown>> {
    const { stops, connectors } = this.deps;
    const running = connectors.running(connectorId);
    // A stop under way or holding: a repeated disable sends nothing, moves no deadline, and answers with that stop's outcome.
    if (!on && this.asked.get(connectorId)?.on === false && stops.covers(running)) return { enabled: "joined", ...(await stops.stop(running)) };
    const claim = this.claimAvailability(connectorId, on);
    if (!claim) return { enabled: "unchanged", note: `${whose(connectorId)} is already ${on ? "enabled" : "disabled"}: nothing sent` };
    let status: string;
    try {
      status = (await this.deps.call("ChangeAvailability", { connectorId, type: on ? "Operative" : "Inoperative" })).status;
    } catch (err) {
      // Stopping the energy of a running transaction must not hinge on the availability change.
      if (on || running.length === 0) {
        claim.failed(err);
        throw err;
      }
      status = answerOf(err);
    }
    // The energy stop goes ahead whatever ChangeAvailability got: the switch stands.
    claim.answered(status, !on && running.length > 0);
    if (!on && running.length > 0) return { enabled: status, ...(await stops.stop(running)) };
    if (status === "Rejected") throw new CommandError("charger rejected ChangeAvailability");
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

  /** Raw ChangeAvailability (/request, compat cmd): sent as asked, through the same guard as `enabled`. */
  async changeAvailability(req: CsRequest<"ChangeAvailability">): Promise<Record<string, unknown>> {
    const on = req.type === "Operative";
    const claim = this.claimAvailability(req.connectorId, on);
    if (!claim) return { status: "Accepted", note: `${whose(req.connectorId)} is already ${req.type}: nothing sent` };
    let reply: CsResponse<"ChangeAvailability">;
    try {
      reply = await this.deps.call("ChangeAvailability", req);
    } catch (err) {
      claim.failed(err);
      throw err;
    }
    claim.answered(reply.status);
    return reply;
  }

  /** RemoteStartTransaction switches energy on: one per switch interval, like `enabled: true`. */
  async remoteStart(req: CsRequest<"RemoteStartTransaction">): Promise<Record<string, unknown>> {
    // Whether a transaction already runs is the charger's to judge (it answers Rejected): never redundant here.
    const decision = this.guard(req.connectorId ?? 1).switching(true, undefined, "starting a transaction");
    const undo = decision.redundant ? () => {} : decision.undo;
    let reply: CsResponse<"RemoteStartTransaction">;
    try {
      reply = await this.deps.call("RemoteStartTransaction", req);
    } catch (err) {
      if (!(err instanceof CallTimeoutError)) undo();
      throw err;
    }
    if (reply.status === "Rejected") undo();
    return reply;
  }

  /**
   * RemoteStopTransaction of a transaction the bridge sees running counts as a switch off. One it
   * does not know (begun before a restart, or made up) is passed on: a stop is never blocked for
   * lack of knowledge, and with starts limited it cannot make a contactor cycle. Accepted, it counts.
   */
  async remoteStop(req: CsRequest<"RemoteStopTransaction">): Promise<Record<string, unknown>> {
    const found = this.deps.connectors.byTransaction(req.transactionId);
    const decision = found ? this.guard(found[0]).switching(false, true, "stopping a transaction") : undefined;
    const undo = decision && !decision.redundant ? decision.undo : undefined;
    let reply: CsResponse<"RemoteStopTransaction">;
    try {
      reply = await this.deps.call("RemoteStopTransaction", req);
    } catch (err) {
      if (!(err instanceof CallTimeoutError)) undo?.();
      throw err;
    }
    if (reply.status === "Rejected") undo?.();
    else if (!found) this.guard(1).limiter.record();
    return reply;
  }

  /** A raw charging profile must neither replace one of the bridge's own nor lift an enabled:false. */
  async setProfile(req: CsRequest<"SetChargingProfile">): Promise<Record<string, unknown>> {
    const p = req.csChargingProfiles;
    const own = this.ownProfiles().find((o) => o.id === p.chargingProfileId);
    if (own) throw new CommandError(`chargingProfileId ${own.id} is the bridge's own (${own.what}); use another id, or /set current_limit_a`);
    if (p.chargingProfilePurpose === "TxProfile" && this.stopActive(req.connectorId)) {
      throw new CommandError(`connector ${req.connectorId} is disabled (enabled:false holds its energy off) and a TxProfile would lift that; set enabled:true first`);
    }
    return this.deps.call("SetChargingProfile", req);
  }

  /** Refused when it would remove a profile the bridge put there (current_limit_a, or the 0 A of enabled:false). */
  async clearProfiles(req: CsRequest<"ClearChargingProfile">): Promise<Record<string, unknown>> {
    const hit = this.ownProfiles().find((o) => clearRemoves(req, o));
    if (hit) {
      throw new CommandError(`ClearChargingProfile would also remove the bridge's own charging profile ${hit.id} (${hit.what}); name the id, purpose or stack level of yours, or change the bridge's with /set`);
    }
    return this.deps.call("ClearChargingProfile", req);
  }

  private ownProfiles(): OwnProfile[] {
    return [...this.deps.profiles.all(), ...this.deps.stops.ownProfiles()];
  }

  /** An energy stop is under way or holds on the connector (0: on any). */
  private stopActive(connectorId: number): boolean {
    const { stops, connectors } = this.deps;
    const targets = connectorId === 0 ? connectors.numbers().filter((n) => n >= 1) : [connectorId];
    return targets.some((n) => stops.busy(n) || stops.holding(n));
  }

  /**
   * What the charger does now, as far as a switch to `to` can tell (undefined: it cannot). Enabling
   * is needed while our Inoperative stands (even a Scheduled one), the charger says Unavailable or an
   * energy stop holds; disabling is redundant only when the charger says Unavailable, or accepted
   * our Inoperative and runs nothing.
   */
  private isOn(connectorId: number, to: boolean): boolean | undefined {
    const status = this.deps.connectors.peek(connectorId)?.status;
    const asked = this.asked.get(connectorId);
    if (to) {
      if (asked?.on === false || status === "Unavailable" || this.stopActive(connectorId)) return false;
      return status !== undefined || asked?.on === true ? true : undefined;
    }
    if (status === "Unavailable") return false;
    if (asked?.on === false && asked.answer === "Accepted" && this.deps.connectors.running(connectorId).length === 0) return false;
    return undefined;
  }

  /**
   * Asks the guard for an availability switch. undefined when it is redundant (send nothing);
   * otherwise the claim, noted at once so commands arriving together cannot all see a free slot.
   */
  private claimAvailability(connectorId: number, on: boolean): { answered(status: string, stands?: boolean): void; failed(err: unknown): void } | undefined {
    const decision = this.guard(connectorId).switching(on, this.isOn(connectorId, on), on ? "enabling" : "disabling");
    if (decision.redundant) return undefined;
    const before = this.asked.get(connectorId);
    const mine: Asked = { on, answer: "pending" };
    this.asked.set(connectorId, mine);
    const giveBack = () => {
      decision.undo();
      if (this.asked.get(connectorId) !== mine) return;
      if (before === undefined) this.asked.delete(connectorId);
      else this.asked.set(connectorId, before);
    };
    return {
      answered: (status, stands = false) => {
        if (status === "Rejected" && !stands) giveBack();
        else mine.answer = status;
      },
      // After a timeout the charger may well have switched: the claim stands.
      failed: (err) => {
        if (err instanceof CallTimeoutError) mine.answer = "timeout";
        else giveBack();
      },
    };
  }
}

function whose(connectorId: number): string {
  return connectorId === 0 ? "the charger" : `connector ${connectorId}`;
}
