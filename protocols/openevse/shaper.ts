// The gateway's current shaper (load limiter, spec §11.2): site power samples set a cap on the
// charge current so the site stays under its maximum power; no samples for too long pauses
// charging. Reproduced as the gateway does it, including the pause behaviour of §14 item 9.
// Pure: time from the injected clock; `tick()` stands for the gateway's 2 s task.

import { PRIORITY, type ClaimChange, type ClaimProps } from "./claims.ts";
import type { Published } from "./divert.ts";
import { InputFilter } from "./smoothing.ts";

export interface ShaperConfig {
  /** Site limit, W (`current_shaper_max_pwr`). */
  maxPowerW: number;
  smoothingTimeS: number;
  minPauseTimeS: number;
  /** No sample for longer than this pauses charging (failsafe). */
  dataMaxIntervalS: number;
  threePhase: boolean;
  hysteresisA: number;
}

export const SHAPER_DEFAULTS: Omit<ShaperConfig, "maxPowerW"> = {
  smoothingTimeS: 60,
  minPauseTimeS: 300,
  dataMaxIntervalS: 120,
  threePhase: false,
  hysteresisA: 0.5,
};

/** The gateway runs the shaper task this often. */
export const SHAPER_TICK_MS = 2000;

export interface ShaperInput {
  /** Effective voltage per phase, V. */
  voltage: number;
  /** Measured charge current, A. */
  amps: number;
  /** PV generation to add to the budget (divert enabled in solar mode), else 0. */
  solarW: number;
}

export interface ShaperStep {
  claim: ClaimChange | null;
  publish: Published;
}

export class Shaper {
  private enabled: boolean;
  private changed = false;
  private updated = false;
  private livePowerW = 0;
  private smoothedLivePowerW = 0;
  private maxCurrent = 0;
  /** When the current pause started; null when not paused. */
  private pauseSince: number | null = null;
  /** Last time new data was turned into a claim (starts at construction, the gateway's `begin`). */
  private lastData: number;
  private held: { priority: number; props: ClaimProps } | null = null;
  private readonly filter: InputFilter;

  constructor(private readonly config: ShaperConfig, private readonly clock: () => number, enabled = true) {
    this.enabled = enabled;
    this.lastData = clock();
    this.filter = new InputFilter(clock);
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  get claim(): { priority: number; props: ClaimProps } | null {
    return this.held;
  }

  /** Charge current cap computed from the last sample, A (fractional; the claim floors it). */
  get currentCap(): number {
    return this.maxCurrent;
  }

  /** `shaper/set 0|1`: until restart, configuration untouched. */
  setEnabled(on: boolean): ShaperStep {
    this.enabled = on;
    let claim: ClaimChange | null = null;
    if (!on && this.held) {
      this.held = null;
      claim = { action: "release" };
    }
    return { claim, publish: { shaper: on ? 1 : 0 } };
  }

  /** A live site power sample, W. While paused, a slow envelope is used: up at once, down with the filter. */
  livePower(watts: number, input: ShaperInput): void {
    this.livePowerW = watts;
    this.updated = true;
    let used: number;
    if (this.pauseSince === null) {
      this.smoothedLivePowerW = watts;
      used = watts;
    } else {
      this.smoothedLivePowerW = watts > this.smoothedLivePowerW ? watts : this.filter.filter(watts, this.smoothedLivePowerW, this.config.smoothingTimeS);
      // The gateway holds this in an int.
      used = Math.trunc(this.smoothedLivePowerW);
    }
    const budget = this.config.maxPowerW + input.solarW;
    const perPhase = this.config.threePhase ? 3 * input.voltage : input.voltage;
    this.maxCurrent = (budget - used) / perPhase + input.amps;
    this.changed = true;
  }

  /** The 2 s task. `minCurrentA` is the controller minimum from `$GC`. */
  tick(minCurrentA: number): ShaperStep {
    const now = this.clock();
    if (!this.enabled) {
      if (!this.held) return { claim: null, publish: {} };
      this.held = null;
      this.smoothedLivePowerW = 0;
      return { claim: { action: "release" }, publish: {} };
    }
    if (this.changed) {
      // The gateway stores a negative cap in an unsigned field; a pause at 0 A is what it means.
      const props: ClaimProps = { max_current: Math.max(0, Math.floor(this.maxCurrent)) };
      if (this.maxCurrent < minCurrentA) {
        // Not enough for the minimum: pause, and remember since when.
        props.state = "disabled";
        if (this.pauseSince === null) this.pauseSince = now;
      } else if ((this.pauseSince === null || now - this.pauseSince >= this.config.minPauseTimeS * 1000) && this.maxCurrent - minCurrentA >= this.config.hysteresisA) {
        this.pauseSince = null;
      }
      // Otherwise the claim carries no state, so the pause ends anyway; only the envelope stays slow (§14 item 9).
      this.lastData = now;
      this.changed = false;
      return { claim: this.claimIfChanged(PRIORITY.safety, props), publish: this.published() };
    }
    if (this.updated && now - this.lastData <= this.config.dataMaxIntervalS * 1000) return { claim: null, publish: {} };
    // Failsafe: no data yet, or none for too long.
    let wentStale = false;
    if (this.updated) {
      this.pauseSince = now;
      this.updated = false;
      this.smoothedLivePowerW = this.livePowerW;
      wentStale = true;
    }
    let claim: ClaimChange | null = null;
    if (this.held?.props.state !== "disabled") claim = this.claimIfChanged(PRIORITY.limit, { state: "disabled" });
    return { claim, publish: wentStale || claim ? this.published() : {} };
  }

  private published(): Published {
    return {
      shaper: 1,
      shaper_live_pwr: this.livePowerW,
      shaper_smoothed_live_pwr: this.smoothedLivePowerW,
      shaper_max_pwr: this.config.maxPowerW,
      shaper_cur: this.maxCurrent,
      shaper_updated: this.updated,
    };
  }

  private claimIfChanged(priority: number, props: ClaimProps): ClaimChange | null {
    // The gateway re-claims when the state or the max current differ from its current claim.
    if (this.held && this.held.props.state === props.state && this.held.props.max_current === props.max_current) return null;
    this.held = { priority, props };
    return { action: "set", priority, props };
  }
}
