// The simulated controller's state (a mainline 8.2.x PlatformIO build, RAPI 5.x): what is in
// EEPROM, what resets at boot, the car on the cable, energy, heartbeat supervision.

import { EVSE_STATE, SETTING, VFLAG } from "../states.ts";

export interface SimOptions {
  clock: () => number;
  firmware?: string;
  rapi?: string;
  /** EU builds have no service-level auto detection (`$SL A` → `$NK`) and default to 230 V. */
  eu?: boolean;
  minA?: number;
  /** Configured (EEPROM) maximum, A. */
  maxA?: number;
  /** Hardware maximum before any `$SC … M`. */
  hwMaxA?: number;
  /** Tenths of °C: DS3231, MCP9808, TMP007 (−2560 = absent). */
  temperatures?: [number, number, number];
  /** 6 ASCII characters + 8 upper-case hex digits. */
  mcuId?: string;
  /** Power-on self test, from reset to `$AB`. */
  postMs?: number;
}

export type Mode = "active" | "sleep" | "disabled";

const L1_MAX_A = 16;
/** Largest current the hardware ever advertises. */
export const BUILD_MAX_A = 80;
const HARD_FAULTS: ReadonlySet<number> = new Set([EVSE_STATE.stuckRelay, EVSE_STATE.gfiSelfTestFailed, EVSE_STATE.relayClosureFault]);

export class SimModel {
  readonly clock: () => number;
  readonly firmware: string;
  readonly rapi: string;
  readonly eu: boolean;
  readonly minA: number;
  readonly mcuId: string;
  readonly postMs: number;
  temperatures: [number, number, number];

  // EEPROM: survives $FR.
  settings: number = SETTING.serviceLevel2;
  maxA: number;
  hwMaxA: number;
  hwMaxWritten = false;
  heartbeatIntervalS = 0;
  heartbeatCurrentA = 0;
  totalWh = 0;
  faultCounts = { gfi: 0, noGround: 0, stuckRelay: 0 };
  ammeter = { scale: 220, offset: 0 };
  timer = { sh: 0, sm: 0, eh: 0, em: 0 };
  mennekes = { locked: false, manual: false };
  rtcOffsetMs = 0;

  // Volatile: reset at boot.
  mode: Mode = "active";
  fault: number | null = null;
  state: number = EVSE_STATE.starting;
  pilotA: number;
  voltageMv: number;
  vflags: number = VFLAG.sessionEnded;
  heartbeatTrigger: 0 | 1 | 2 = 0;
  lastPulseAt: number;
  echo = false;
  lcdHostOwned = false;
  sessionWs = 0;
  elapsedS = 0;
  chargingSince: number | null = null;
  lastIntegration: number;

  // The car: not the controller's state, but what it measures.
  plugged = false;
  wantsCharge = false;
  carMaxA = 32;

  constructor(o: SimOptions) {
    this.clock = o.clock;
    this.firmware = o.firmware ?? "8.2.3";
    this.rapi = o.rapi ?? "5.2.1";
    this.eu = o.eu ?? false;
    this.minA = o.minA ?? 6;
    this.maxA = o.maxA ?? 32;
    this.hwMaxA = o.hwMaxA ?? BUILD_MAX_A;
    this.temperatures = o.temperatures ?? [250, -2560, -2560];
    this.mcuId = o.mcuId ?? "OEVSIM0011AABB";
    this.postMs = o.postMs ?? 800;
    const now = this.clock();
    this.lastPulseAt = now;
    this.lastIntegration = now;
    this.pilotA = this.maxA;
    this.voltageMv = this.defaultVoltageMv();
  }

  defaultVoltageMv(): number {
    return this.eu ? 230_000 : 240_000;
  }

  get serviceLevel(): 1 | 2 {
    return this.settings & SETTING.serviceLevel2 ? 2 : 1;
  }

  /** `$GC` field 2: the `$SC M` value, or the L1 maximum in L1. */
  get levelMaxA(): number {
    return this.serviceLevel === 1 ? Math.min(L1_MAX_A, this.hwMaxA) : this.hwMaxA;
  }

  /** Current the car draws while charging. */
  get drawA(): number {
    return this.state === EVSE_STATE.charging ? Math.min(this.pilotA, this.carMaxA) : 0;
  }

  /**
   * J1772 pilot reading from the car's load. Asleep (steady +12 V, no PWM) a car does not ask for
   * charge, so it reads B; with the pilot at −12 V no load can be seen at all (reads as A).
   */
  get pilotReading(): number {
    if (!this.plugged || this.state === EVSE_STATE.disabled) return 1;
    return this.wantsCharge && this.state !== EVSE_STATE.sleeping ? 3 : 2;
  }

  /** Volatile flags derived from the model (the stored bits plus the ones that follow the state). */
  get vflagsNow(): number {
    let v = this.vflags & ~(VFLAG.evConnected | VFLAG.relayClosed | VFLAG.hardFault | VFLAG.delayTimer | VFLAG.mennekesManual);
    // Not known before the self test (state 0) nor with the pilot at −12 V.
    if (this.plugged && this.state !== EVSE_STATE.disabled && this.state !== EVSE_STATE.starting) v |= VFLAG.evConnected;
    if (this.state === EVSE_STATE.charging) v |= VFLAG.relayClosed;
    if (this.fault !== null && HARD_FAULTS.has(this.fault)) v |= VFLAG.hardFault;
    if (this.timer.sh + this.timer.sm + this.timer.eh + this.timer.em > 0) v |= VFLAG.delayTimer;
    if (this.mennekes.manual) v |= VFLAG.mennekesManual;
    return v;
  }

  /** Integrates energy and charge time up to now. Called before anything that reads or changes them. */
  advance(): void {
    const now = this.clock();
    const dt = Math.max(0, now - this.lastIntegration) / 1000;
    this.lastIntegration = now;
    if (this.state !== EVSE_STATE.charging) return;
    const watts = (this.voltageMv / 1000) * this.drawA;
    this.sessionWs += watts * dt;
    this.totalWh += (watts * dt) / 3600;
  }

  /** Seconds of the current or last session (reset when a car is plugged in, as since 8.1.1). */
  get elapsedNow(): number {
    const running = this.chargingSince === null ? 0 : (this.clock() - this.chargingSince) / 1000;
    return Math.floor(this.elapsedS + running);
  }

  /** Re-derives the EVSE state from mode, fault and car, keeping the session bookkeeping right. */
  evaluate(): void {
    this.advance();
    let next: number;
    if (this.fault !== null) next = this.fault;
    else if (this.mode === "disabled") next = EVSE_STATE.disabled;
    else if (this.mode === "sleep") next = EVSE_STATE.sleeping;
    else if (!this.plugged) next = EVSE_STATE.notConnected;
    else next = this.wantsCharge ? EVSE_STATE.charging : EVSE_STATE.connected;
    const now = this.clock();
    if (next === EVSE_STATE.charging && this.state !== EVSE_STATE.charging) {
      this.chargingSince = now;
      this.vflags &= ~VFLAG.sessionEnded;
    }
    if (next !== EVSE_STATE.charging && this.state === EVSE_STATE.charging && this.chargingSince !== null) {
      this.elapsedS += (now - this.chargingSince) / 1000;
      this.chargingSince = null;
    }
    this.state = next;
  }

  plug(on: boolean): void {
    this.advance();
    if (on && !this.plugged) {
      // A new session: counters restart (as since firmware 8.1.1) and the "ended" mark goes.
      this.sessionWs = 0;
      this.elapsedS = 0;
      this.vflags &= ~VFLAG.sessionEnded;
    }
    if (!on && this.plugged) this.vflags |= VFLAG.sessionEnded;
    this.plugged = on;
    if (!on) this.wantsCharge = false;
    this.evaluate();
  }

  /** Power-on reset: everything volatile back to its boot value; EEPROM kept. */
  reset(): void {
    this.advance();
    this.mode = "active";
    this.fault = null;
    this.state = EVSE_STATE.starting;
    this.chargingSince = null;
    this.pilotA = Math.min(this.maxA, this.levelMaxA);
    this.voltageMv = this.defaultVoltageMv();
    this.vflags = VFLAG.sessionEnded;
    this.heartbeatTrigger = 0;
    this.lastPulseAt = this.clock();
    this.echo = false;
    this.lcdHostOwned = false;
  }

  /** Heartbeat supervision: a missed pulse drops the pilot to the heartbeat current (never raises it). */
  checkHeartbeat(): void {
    if (this.heartbeatIntervalS === 0 || this.heartbeatTrigger === 2) return;
    if (this.clock() - this.lastPulseAt <= this.heartbeatIntervalS * 1000) return;
    this.advance();
    this.heartbeatTrigger = 2;
    this.pilotA = Math.min(this.pilotA, Math.max(this.heartbeatCurrentA, this.minA));
  }

  /** Restores the configured maximum after an acknowledged or disarmed missed pulse (§8.5). */
  restoreAfterHeartbeat(): void {
    this.advance();
    this.pilotA = Math.min(this.maxA, this.levelMaxA);
    this.heartbeatTrigger = 1;
  }

  enterFault(state: number): void {
    if (state === EVSE_STATE.gfciFault) {
      this.faultCounts.gfi = Math.min(0xff, this.faultCounts.gfi + 1);
      this.vflags |= VFLAG.gfiTripped;
    }
    if (state === EVSE_STATE.noGround) {
      this.faultCounts.noGround = Math.min(0xff, this.faultCounts.noGround + 1);
      this.vflags |= VFLAG.noGroundTripped;
    }
    if (state === EVSE_STATE.stuckRelay) this.faultCounts.stuckRelay = Math.min(0xff, this.faultCounts.stuckRelay + 1);
    this.fault = state;
    this.evaluate();
  }
}
