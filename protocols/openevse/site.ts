// What the gateway tracks around one controller besides the controller itself: solar divert and
// the current shaper (§11), the session limit, the mains voltage input, and its own bookkeeping
// (energy integration when the controller has no `$GU`, temperature maximum, relay switches).
import { Divert, DIVERT_DEFAULTS } from "./divert.ts";
import { divertType, type ControllerConfig } from "./config.ts";
import type { SessionLimit } from "./gateway-commands.ts";
import { Shaper, SHAPER_DEFAULTS } from "./shaper.ts";
import { EVSE_STATE, VFLAG } from "./states.ts";
import { elapsedNow, type ControllerView } from "./view.ts";

/** A voltage from `vrms_topic` counts this long (§9.4). */
const VRMS_FRESH_MS = 120_000;

export interface Transitions {
  /** The EV was disconnected (vflag 0x0100 went 1 → 0): auto-release claims go, the session ends. */
  unplugged: boolean;
  /** The EVSE entered charging (the relay closed). */
  startedCharging: boolean;
  stateChanged: boolean;
}

export class Site {
  readonly divert: Divert;
  readonly shaper: Shaper | null;
  limit: SessionLimit | null = null;
  integratedWh = 0;
  tempMax: number | null = null;
  totalSwitches = 0;
  private vrms: { v: number; at: number } | null = null;
  private lastState: number | null = null;
  private connected = false;
  private integratedAt: number | null = null;

  constructor(private readonly cfg: ControllerConfig, private readonly clock: () => number) {
    this.divert = new Divert(
      {
        ...DIVERT_DEFAULTS,
        type: divertType(cfg),
        pvRatio: cfg.divert_pv_ratio,
        attackSmoothingS: cfg.divert_attack_smoothing_s,
        decaySmoothingS: cfg.divert_decay_smoothing_s,
        minChargeTimeS: cfg.divert_min_charge_time_s,
        threePhase: cfg.three_phase,
      },
      clock,
    );
    this.shaper = cfg.shaper_max_power_w > 0
      ? new Shaper({ ...SHAPER_DEFAULTS, maxPowerW: cfg.shaper_max_power_w, smoothingTimeS: cfg.shaper_smoothing_time_s, minPauseTimeS: cfg.shaper_min_pause_time_s, dataMaxIntervalS: cfg.shaper_data_max_interval_s, threePhase: cfg.three_phase }, clock)
      : null;
  }

  /** Voltage per phase: a fresh `vrms_topic` value, else the configured one. */
  voltage(): number {
    return this.vrms && this.clock() - this.vrms.at <= VRMS_FRESH_MS ? this.vrms.v : this.cfg.voltage_v;
  }

  /** True when the whole-volt value changed (then it is worth forwarding to the controller as `$SV`). */
  setVrms(v: number): boolean {
    const changed = this.vrms === null || Math.round(this.vrms.v) !== Math.round(v);
    this.vrms = { v, at: this.clock() };
    return changed;
  }

  /** Bookkeeping for a new view; says which transitions it brought. */
  observe(v: ControllerView): Transitions {
    const now = this.clock();
    const charging = v.state === EVSE_STATE.charging;
    // Our own meter, for controllers without `$GU`: V·A·Δt while charging.
    if (this.integratedAt !== null && this.lastState === EVSE_STATE.charging && v.currentMa !== null) {
      const phases = this.cfg.three_phase ? 3 : 1;
      this.integratedWh += (this.voltage() * phases * (v.currentMa / 1000) * (now - this.integratedAt)) / 3_600_000;
    }
    this.integratedAt = now;
    const connected = v.vflags !== null && (v.vflags & VFLAG.evConnected) !== 0;
    const unplugged = this.connected && !connected && v.state !== EVSE_STATE.disabled;
    if (v.vflags !== null && v.state !== EVSE_STATE.disabled) this.connected = connected;
    if (unplugged) {
      this.integratedWh = 0;
      this.tempMax = null;
      if (this.limit?.auto_release) this.limit = null;
    }
    const { ds3231, mcp9808, tmp007 } = v.temperatures;
    const temp = ds3231 ?? mcp9808 ?? tmp007;
    if (this.connected && temp !== null && (this.tempMax === null || temp > this.tempMax)) this.tempMax = temp;
    const stateChanged = v.state !== this.lastState;
    const startedCharging = stateChanged && charging;
    if (startedCharging) this.totalSwitches++;
    if (v.state !== null) this.divert.onEvseState(v.state);
    this.lastState = v.state;
    return { unplugged, startedCharging, stateChanged };
  }

  /**
   * Whether the session limit is reached: time in minutes of session time, energy in Wh. State of
   * charge and range need vehicle data, which a bare controller cannot give: they never trigger.
   */
  limitReached(v: ControllerView, sessionWh: number): boolean {
    const l = this.limit;
    if (!l) return false;
    if (l.type === "time") return elapsedNow(v, this.clock()) >= l.value * 60;
    if (l.type === "energy") return sessionWh >= l.value;
    return false;
  }
}
