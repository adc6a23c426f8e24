// The one place a charger's commands are checked before anything reaches it. Every path that can
// start, stop or change the current of a charger (normalized /set, /request, the compatible
// layout) asks the same guard, so the limits cannot be bypassed by picking another topic.
import { CommandError } from "./errors.ts";
import { SwitchLimiter } from "./rate-limit.ts";

export interface GuardLimits {
  minA: number;
  maxA: number;
  switchIntervalMs: number;
  /** 0 A is a pause the charger understands (OCPP): let it through instead of refusing it as below minA. */
  allowZero?: boolean;
  /** Stopping is never refused by the interval (it is still recorded, so the next start waits). */
  stopAlwaysAllowed?: boolean;
  /** Resolution a current is rounded down to (default 1 A; 0.1 for OCPP profiles). */
  stepA?: number;
  now?: () => number;
}

export interface CurrentDecision {
  amps: number;
  /** Set when the asked current was lowered to the maximum (or rounded down). */
  clamped_from?: number;
}

export type SwitchDecision = { redundant: true } | { redundant: false; /** Gives the slot back when the charger refused. */ undo(): void };

export class ChargeGuard {
  readonly limiter: SwitchLimiter;

  constructor(private readonly limits: GuardLimits) {
    this.limiter = new SwitchLimiter(limits.switchIntervalMs, limits.now);
  }

  get minA(): number {
    return this.limits.minA;
  }

  get maxA(): number {
    return this.limits.maxA;
  }

  /**
   * The current to command when `asked` A is asked for. Only ever lowered: above the maximum it is
   * clamped, fractions are rounded down; below the minimum it is refused, since raising it would
   * give more than was asked.
   */
  current(asked: number, field = "current_limit_a"): CurrentDecision {
    if (!Number.isFinite(asked) || asked < 0) throw new CommandError(`${field} must be a number ≥ 0, got ${asked}`);
    const step = this.limits.stepA ?? 1;
    const rounded = Math.floor(asked / step + 1e-9) * step;
    if (rounded === 0 && this.limits.allowZero) return rounded === asked ? { amps: 0 } : { amps: 0, clamped_from: asked };
    if (rounded < this.limits.minA) {
      const how = this.limits.allowZero ? "use 0 to pause or enabled:false to stop" : "use enabled:false to stop charging";
      throw new CommandError(`${field} ${asked} A is below the minimum ${this.limits.minA} A; ${how}`);
    }
    const amps = Math.min(this.limits.maxA, Number(rounded.toFixed(3)));
    return amps === asked ? { amps } : { amps, clamped_from: asked };
  }

  /**
   * Before switching energy on (`to` true) or off. `isOn` is what the charger does now (undefined:
   * unknown). A switch to the state it is already in is redundant: send nothing, the interval is
   * not reset. Otherwise the interval is claimed at once (so commands arriving together cannot all
   * see a free slot) or a refusal is thrown. `stopAlwaysAllowed` overrides the guard's setting for
   * this one switch (e.g. stopping the offer vs opening a contactor under load).
   */
  switching(to: boolean, isOn: boolean | undefined, what: string, opts: { stopAlwaysAllowed?: boolean } = {}): SwitchDecision {
    if (isOn === to) return { redundant: true };
    if (!(to === false && (opts.stopAlwaysAllowed ?? this.limits.stopAlwaysAllowed))) {
      const refusal = this.limiter.refusal(what);
      if (refusal) throw new CommandError(refusal);
    }
    return { redundant: false, undo: this.limiter.record() };
  }
}
