// Solar PV divert ("eco" mode, spec §11.1) as the gateway 5.x does it: every grid or solar sample
// moves a smoothed available current; above trigger + hysteresis the divert claim asks for charge
// at the unsmoothed available current, at or below the trigger (and after the minimum charge time)
// it asks for a pause. Pure: time comes from the injected clock, the EVSE from the context.

import { claimDiffers, PRIORITY, type ClaimChange, type ClaimProps, type ClaimState } from "./claims.ts";
import { InputFilter } from "./smoothing.ts";
import { EVSE_STATE } from "./states.ts";

export interface DivertConfig {
  /** Which input drives it: PV generation (W ≥ 0) or grid power (W, + import / − export, including the EVSE). */
  type: "solar" | "grid";
  /** `divert_PV_ratio`: share of the marginal current that must come from PV; above 1 the excess (kW) is a reserve kept back, grid mode only. */
  pvRatio: number;
  attackSmoothingS: number;
  decaySmoothingS: number;
  minChargeTimeS: number;
  threePhase: boolean;
  /** Compile-time 0.5 A in the gateway. */
  hysteresisA: number;
}

export const DIVERT_DEFAULTS: DivertConfig = {
  type: "solar",
  pvRatio: 1.1,
  attackSmoothingS: 20,
  decaySmoothingS: 600,
  minChargeTimeS: 600,
  threePhase: false,
  hysteresisA: 0.5,
};

export interface DivertContext {
  /** Effective voltage per phase (§9.4), V. */
  voltage: number;
  /** Measured charge current, A (0 when not charging). */
  amps: number;
  /** Controller minimum (`$GC` field 1). */
  minCurrentA: number;
  /** Pilot in force, A (published as `pilot`). */
  pilotA: number;
  /** Target state of the last claim evaluation (before this step's claim is evaluated). */
  targetState: ClaimState;
  /** Controller state (3 = charging). */
  evseState: number;
}

export type DivertMode = 1 | 2;
export type Published = Record<string, number | boolean>;

export interface DivertStep {
  /** Change to the divert claim, or null when it stays as it is. */
  claim: ClaimChange | null;
  /** Values for the §10.7 topics, in the gateway's order. */
  publish: Published;
}

export class Divert {
  private currentMode: DivertMode = 1;
  /** Divert claim held now, null in normal mode. */
  private held: { priority: number; props: ClaimProps } | null = null;
  /** Last state the EVSE was seen to reach in agreement with the divert claim (the gateway's `_state`). */
  private reached: ClaimState | null = null;
  private chargeRate = 0;
  private available = 0;
  private smoothed = 0;
  /** Clock seconds when the minimum charge time ends. */
  private minChargeEnd = 0;
  private lastEvseState: number | null = null;
  private solarW = 0;
  private gridW = 0;
  private readonly filter: InputFilter;

  constructor(private readonly config: DivertConfig, private readonly clock: () => number) {
    this.filter = new InputFilter(clock);
  }

  get mode(): DivertMode {
    return this.currentMode;
  }

  /** `divert_active`: the EVSE has reached the active state the divert claim asked for. */
  get active(): boolean {
    return this.reached === "active";
  }

  get claim(): { priority: number; props: ClaimProps } | null {
    return this.held;
  }

  /** Last PV generation received (the shaper adds it to its budget in solar mode). */
  get solar(): number {
    return this.solarW;
  }

  private nowS(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** `divertmode/set`: 1 normal, 2 eco; volatile. */
  setMode(mode: DivertMode): DivertStep {
    if (mode === this.currentMode) return { claim: null, publish: {} };
    this.currentMode = mode;
    this.reached = null;
    if (mode === 1) {
      this.held = null;
      return { claim: { action: "release" }, publish: { divertmode: 1, divert_active: false } };
    }
    this.minChargeEnd = 0;
    this.chargeRate = 0;
    this.available = 0;
    this.smoothed = 0;
    const props: ClaimProps = { state: "disabled" };
    this.held = { priority: PRIORITY.default, props };
    return {
      claim: { action: "set", priority: PRIORITY.default, props },
      publish: { divertmode: 2, divert_active: false, charge_rate: 0, available_current: 0, smoothed_available_current: 0 },
    };
  }

  /** Every controller state change: entering charging starts the minimum charge time. */
  onEvseState(state: number): void {
    if (state === this.lastEvseState) return;
    this.lastEvseState = state;
    if (state === EVSE_STATE.charging) this.minChargeEnd = this.nowS() + this.config.minChargeTimeS;
  }

  /** Seconds of minimum charge time left; only counted while divert is active and the EVSE charges. */
  minChargeRemaining(evseState: number): number {
    const now = this.nowS();
    return this.active && evseState === EVSE_STATE.charging && now < this.minChargeEnd ? this.minChargeEnd - now : 0;
  }

  /** A grid or solar sample (W). Samples of the kind not configured are ignored, as the gateway does not subscribe to them. */
  input(kind: "solar" | "grid", watts: number, ctx: DivertContext): DivertStep | null {
    if (kind !== this.config.type) return null;
    if (kind === "solar") this.solarW = watts;
    else this.gridW = watts;
    const publish: Published = { divert_update: 0, [kind === "grid" ? "grid_ie" : "solar"]: watts };
    if (this.currentMode !== 2) return { claim: null, publish };

    const c = this.config;
    const voltage = c.threePhase ? ctx.voltage * 3 : ctx.voltage;
    if (c.type === "grid") {
      const surplus = this.gridW / voltage - ctx.amps;
      this.available = surplus < 0 ? -surplus - (1000 * Math.max(0, c.pvRatio - 1)) / voltage : 0;
    } else {
      this.available = this.solarW / voltage;
    }
    if (!(this.available > 0)) this.available = 0;

    const tau = this.available > this.smoothed ? c.attackSmoothingS : c.decaySmoothingS;
    this.smoothed = this.filter.filter(this.available, this.smoothed, tau);

    // From the unsmoothed value; the +1 only when the fraction exceeds min(1, ratio), never for ratio ≥ 1.
    this.chargeRate = Math.floor(this.available);
    if (this.available - this.chargeRate > Math.min(1, c.pvRatio)) this.chargeRate += 1;

    const remaining = this.minChargeRemaining(ctx.evseState);
    const trigger = ctx.minCurrentA * Math.min(1, c.pvRatio);
    let claim: ClaimChange | null = null;
    if (this.smoothed >= trigger + c.hysteresisA) {
      claim = this.claimIfChanged(PRIORITY.divert, { state: "active", charge_current: this.chargeRate });
    } else if (this.smoothed <= trigger && this.held?.props.state === "active" && remaining === 0) {
      claim = this.claimIfChanged(PRIORITY.default, { state: "disabled" });
    }
    // The gateway compares its (just updated) claim with the target of the previous evaluation.
    if (this.held?.props.state === ctx.targetState) this.reached = ctx.targetState;

    Object.assign(publish, {
      divert_active: this.active,
      charge_rate: this.chargeRate,
      trigger_current: trigger,
      voltage,
      available_current: this.available,
      smoothed_available_current: this.smoothed,
      pilot: ctx.pilotA,
      min_charge_end: remaining,
    });
    return { claim, publish };
  }

  private claimIfChanged(priority: number, props: ClaimProps): ClaimChange | null {
    if (!claimDiffers(this.held, priority, props)) return null;
    this.held = { priority, props };
    return { action: "set", priority, props };
  }
}
