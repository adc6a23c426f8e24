// Normalized control of one Dehne charger: `enabled` and `current_limit_a` become PWM and contactor
// commands, with clamping and switch rate limiting. Survives reconnects (keyed by serial).
import { CommandError } from "../../lib/errors.ts";
import { ChargeGuard } from "../../lib/guard.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { SwitchLimiter } from "../../lib/rate-limit.ts";
import type { DehneSession } from "./session.ts";
import { ampsToPwm, carWantsCharge, PWM_OFF, pwmToAmps } from "./normalize.ts";
import type { DataResponse } from "./wire.ts";

export interface ControlLimits {
  minA: number;
  maxA: number;
  switchIntervalMs: number;
  stopDelayMs: number;
}

/** What the control needs of a session: sending requests (a narrow type so unit tests can record them). */
export type ControlSession = Pick<DehneSession, "request">;

/** Runs `fn` after `ms`; returns how to cancel it. Injected in unit tests together with `now`. */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** Shared by every control: nothing to cancel yet. */
const noop = () => {};

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export interface SetResult {
  enabled: boolean;
  current_limit_a: number;
  pwm_percent: number;
  clamped_from?: number;
  contactor: "closed" | "open" | "closes when the car asks for charge" | "opens when the car pauses";
}

export class DehneControl {
  /** null until someone uses /set: then compat-only users never see automatic contactor actions. */
  intent: boolean | null = null;
  limitA: number;
  last: DataResponse | undefined;
  /**
   * When the contactor opens at the latest after a disable, even with the car still asking. Set by
   * the first disable only: automations that re-send their wish every few seconds must not keep
   * pushing it out (and with it the opening) for ever.
   */
  private stopDeadline = 0;
  private cancelDeadline: () => void = noop;
  /** Every command path (/set, /request, to_dehneEVSE) is checked by this one guard. */
  readonly guard: ChargeGuard;
  readonly limiter: SwitchLimiter;

  constructor(private limits: ControlLimits, private now: () => number = Date.now, private schedule: Schedule = realSchedule) {
    this.limitA = limits.maxA;
    // Contactor switches are limited both ways (mechanical wear); withdrawing the offer is always
    // honoured (rawPwm), and still recorded so the next start waits its turn.
    this.guard = new ChargeGuard({ minA: limits.minA, maxA: limits.maxA, switchIntervalMs: limits.switchIntervalMs, now });
    this.limiter = this.guard.limiter;
  }

  private get enabledNow(): boolean {
    return this.intent ?? (this.last ? this.last.pwm_percent < PWM_OFF : false);
  }

  async set(cmd: SetCommand, session: ControlSession): Promise<SetResult> {
    let clampedFrom: number | undefined;
    if (cmd.current_limit_a !== undefined) {
      const d = this.guard.current(cmd.current_limit_a);
      clampedFrom = d.clamped_from;
      this.limitA = d.amps;
    }
    const wantEnabled = cmd.enabled ?? this.enabledNow;
    if (wantEnabled && !this.enabledNow) {
      const refusal = this.limiter.refusal("enabling charging");
      if (refusal) throw new CommandError(refusal);
    }
    let pwm = PWM_OFF;
    if (wantEnabled) {
      this.intent = true;
      this.cancelDeadline();
      pwm = ampsToPwm(this.limitA);
      await session.request({ type: "set_pwm", percent: pwm });
    } else if (cmd.enabled === false || this.intent === false) {
      // Stopping is always honoured: PWM 100 first, the contactor opens once the car has paused (spec §11).
      if (this.intent !== false) this.startDeadline(session);
      this.intent = false;
      await session.request({ type: "set_pwm", percent: PWM_OFF });
    }
    await this.reconcile(session);
    const closed = this.last?.contactor_state ?? false;
    const contactor = wantEnabled
      ? closed ? "closed" : "closes when the car asks for charge"
      : closed ? "opens when the car pauses" : "open";
    return { enabled: wantEnabled, current_limit_a: this.limitA, pwm_percent: pwm, ...(clampedFrom !== undefined ? { clamped_from: clampedFrom } : {}), contactor };
  }

  /** The deadline runs from the first disable; polls check it too, the timer covers polling off or slow. */
  private startDeadline(session: ControlSession): void {
    this.cancelDeadline();
    this.stopDeadline = this.now() + this.limits.stopDelayMs;
    // A failure here is retried by the next poll's reconcile, which sees the same passed deadline.
    // A few ms late, so the wall clock `now` has surely passed the deadline when the timer fires.
    this.cancelDeadline = this.schedule(() => void this.reconcile(session).catch(() => {}), this.limits.stopDelayMs + 20);
  }

  /** The bridge stops: no timer may outlive it. */
  dispose(): void {
    this.cancelDeadline();
  }

  /**
   * A direct contactor command (`set_contactor_state`, `request_set_contactor_state`): rate-limited
   * when it would change the state; nothing is sent when the contactor is already so.
   */
  async rawContactor(on: boolean, session: ControlSession): Promise<{ contactor_state: boolean; unchanged?: true }> {
    const d = this.guard.switching(on, this.last?.contactor_state, `set_contactor_state ${on}`);
    if (d.redundant) return { contactor_state: on, unchanged: true };
    try {
      await session.request({ type: "set_contactor", on });
    } catch (err) {
      d.undo();
      throw err;
    }
    // Until the next poll, what we commanded is the best knowledge of the contactor.
    if (this.last) this.last.contactor_state = on;
    return { contactor_state: on };
  }

  /**
   * A direct duty-cycle command (`set_pwm_percent`, `request_set_pwm_percent`): the current it
   * offers passes the same clamp as current_limit_a (lowered to the maximum, refused below the
   * minimum), and offering current after none is a switch, rate-limited like any other.
   */
  async rawPwm(percent: number, session: ControlSession): Promise<{ pwm_percent: number; clamped_from?: number }> {
    // Energy flows only through a closed contactor: with it open, an offer switches nothing.
    const closed = this.last?.contactor_state;
    const flowing = this.last && closed !== undefined ? closed && this.last.pwm_percent < PWM_OFF : undefined;
    if (percent >= PWM_OFF) {
      const d = this.guard.switching(false, closed === false ? false : flowing, `set_pwm_percent ${percent}`, { stopAlwaysAllowed: true });
      if (!d.redundant || this.last?.pwm_percent !== percent) await session.request({ type: "set_pwm", percent });
      return { pwm_percent: percent };
    }
    const c = this.guard.current(pwmToAmps(percent), `pwm_percent ${percent} (${pwmToAmps(percent)} A)`);
    const pwm = c.clamped_from !== undefined ? ampsToPwm(c.amps) : percent;
    const d = closed === false ? ({ redundant: true } as const) : this.guard.switching(true, flowing, `set_pwm_percent ${percent}`);
    try {
      await session.request({ type: "set_pwm", percent: pwm });
    } catch (err) {
      if (!d.redundant) d.undo();
      throw err;
    }
    return pwm === percent ? { pwm_percent: pwm } : { pwm_percent: pwm, clamped_from: percent };
  }

  /** Runs after every data frame: brings the contactor in line with the intent. */
  async reconcile(session: ControlSession): Promise<void> {
    const d = this.last;
    if (!d || this.intent === null) return;
    const wants = carWantsCharge(d.measurements.pilot_voltage);
    if (this.intent && wants && !d.contactor_state && this.limiter.waitMs() === 0) {
      this.limiter.record();
      await session.request({ type: "set_contactor", on: true });
      d.contactor_state = true;
    } else if (!this.intent && d.contactor_state && (!wants || this.now() >= this.stopDeadline)) {
      this.limiter.record();
      await session.request({ type: "set_contactor", on: false });
      d.contactor_state = false;
    }
  }
}
