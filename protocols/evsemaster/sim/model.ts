// The simulated charger's physics and state machine, free of sockets so its rules read plainly.

import type { ChargeRecord, ChargeStart } from "../app-payloads.ts";
import { STATE_CHARGING, STATE_RESERVED } from "../enums.ts";
import type { LoginInfo, SessionData, StartResult, StatusData, VersionInfo } from "../evse-payloads.ts";

export interface SimModel {
  info: LoginInfo;
  version: VersionInfo;
  phases: 1 | 3;
  /** BS20-like units follow a max-current change mid-session; the Telestar does not (§5.10). */
  liveCurrent: boolean;
}

export const MODELS: Record<string, SimModel> = {
  telestar: {
    info: { deviceType: 1, brand: "Telestar", model: "EC311S", hardwareVersion: "EC311S-V1.2", maxPowerW: 7400, maxCurrentA: 32, hotline: "WWW.EVSE.COM", extra: null },
    version: { hardwareVersion: "EC311S-V1.2", softwareVersion: "EC311S-SW2.0.4", feature: 0x42296d48, supportNew: 1 },
    phases: 1,
    liveCurrent: false,
  },
  bs20: {
    // Three-phase type 22 with capability byte 10: can force single phase (§5.1). 36-byte version reply (§9).
    info: { deviceType: 22, brand: "BESEN", model: "BS20", hardwareVersion: "C.3252.112A008", maxPowerW: 11000, maxCurrentA: 16, hotline: "WWW.EVSE.COM", extra: 10 },
    version: { hardwareVersion: "C.3252.112A008", softwareVersion: "C.3252.112A008", feature: 0x42296d48, supportNew: null },
    phases: 3,
    liveCurrent: true,
  },
};

const VOLTS = 230;

export class SimState {
  plugged: boolean;
  carMaxA: number;
  maxCurrentA = 16;
  name = "";
  language = 1;
  temperatureUnit = 1;
  offlineCharge = 0;
  energyKwh = 1234.5;
  errors = 0;
  /** Set while a session is running, planned or finished (the last one stays visible, §5.5). */
  session: { start: ChargeStart; state: number; startedAtMs: number; energyStartKwh: number; reservationAtMs: number } | undefined;
  private amps = 0;

  constructor(readonly model: SimModel, plugged: boolean, carMaxA: number) {
    this.plugged = plugged;
    this.carMaxA = carMaxA;
  }

  get charging(): boolean {
    return this.session?.state === STATE_CHARGING;
  }

  get reserved(): boolean {
    return this.session?.state === STATE_RESERVED;
  }

  start(s: ChargeStart, reservationAtMs: number, nowMs: number): StartResult {
    const r = (reservationResult: number, errorReason: number): StartResult => ({ lineId: 1, reservationResult, startResult: errorReason === 0 ? 1 : 0, errorReason, maxCurrentA: s.maxCurrentA });
    if (!this.plugged) return r(0, 1);
    if (this.charging) return r(7, 3);
    if (this.reserved) return r(6, 20);
    if (s.isReservation && reservationAtMs - nowMs > 24 * 3600 * 1000) return r(3, 0);
    const future = s.isReservation && reservationAtMs > nowMs;
    this.session = { start: s, state: future ? STATE_RESERVED : STATE_CHARGING, startedAtMs: nowMs, energyStartKwh: this.energyKwh, reservationAtMs };
    return r(future ? 1 : s.isReservation ? 4 : 0, 0);
  }

  stop(): boolean {
    if (!this.session || (!this.charging && !this.reserved)) return false;
    this.session.state = this.charging ? 15 : 13;
    this.amps = 0;
    return true;
  }

  setMaxCurrent(a: number): number {
    if (a >= 6 && a <= this.model.info.maxCurrentA) {
      this.maxCurrentA = a;
      if (this.model.liveCurrent && this.charging && this.session) this.session.start.maxCurrentA = a;
    }
    return this.maxCurrentA;
  }

  /** Advances the car and the meter by `dtMs`. */
  step(nowMs: number, dtMs: number): void {
    const s = this.session;
    if (s && this.reserved && nowMs >= s.reservationAtMs) {
      s.state = STATE_CHARGING;
      s.startedAtMs = nowMs;
      s.energyStartKwh = this.energyKwh;
    }
    if (s && this.charging && !this.plugged) this.stop();
    if (s && this.charging) {
      const limitMin = s.start.maxDurationMin;
      if (limitMin !== null && nowMs - s.startedAtMs >= limitMin * 60_000) this.stop();
      const limitKwh = s.start.maxEnergyKwh;
      if (limitKwh !== null && this.energyKwh - s.energyStartKwh >= limitKwh) this.stop();
    }
    this.amps = s && this.charging ? Math.min(this.carMaxA, s.start.maxCurrentA) : 0;
    this.energyKwh += (this.powerW() * dtMs) / 3_600_000_000;
  }

  powerW(): number {
    return Math.round(VOLTS * this.amps * this.model.phases);
  }

  status(): StatusData {
    const three = this.model.phases === 3;
    const state = !this.plugged ? 12 : (this.session?.state ?? 13);
    return {
      lineId: 1,
      voltageV: [VOLTS, three ? VOLTS : null, three ? VOLTS : null],
      currentA: [this.amps, three ? this.amps : null, three ? this.amps : null],
      powerW: this.powerW(),
      energyKwh: Math.floor(this.energyKwh * 100) / 100,
      innerTempC: 31.25,
      outerTempC: 31.25,
      emergency: 0,
      gunState: !this.plugged ? 1 : this.amps > 0 ? 4 : 2,
      outputState: this.charging ? 1 : 2,
      currentState: state,
      rawCurrentState: state,
      extendedState: null,
      errors: this.errors,
      extension: null,
    };
  }

  /** The 0x0009 record a finished session leaves behind; stop reason 11 = stopped by the app. */
  record(em: (ms: number) => number, nowMs: number, endUserId: string): ChargeRecord | undefined {
    const s = this.session;
    if (!s) return undefined;
    const kwh = (x: number) => Math.floor(x * 100) / 100;
    return {
      lineId: 1, startUserId: s.start.userId, endUserId, chargeId: s.start.chargeId, hasReservation: s.start.isReservation, startType: 1,
      chargeType: s.start.chargeType, param1: s.start.maxDurationMin ?? 0xffff, param2: 0xffff, param3: 0xffff, stopReason: 11, hasStopCharge: true,
      reservationTime: em(s.reservationAtMs), startTime: em(s.startedAtMs), stopTime: em(nowMs), chargedS: Math.floor((nowMs - s.startedAtMs) / 1000),
      energyStartKwh: kwh(s.energyStartKwh), energyStopKwh: kwh(this.energyKwh), chargedKwh: kwh(this.energyKwh - s.energyStartKwh),
      price: 0, feeType: 0, fee: 0, logLength: 0,
    };
  }

  sessionData(em: (ms: number) => number, nowMs: number): SessionData | undefined {
    const s = this.session;
    if (!s) return undefined;
    const charged = Math.floor((this.energyKwh - s.energyStartKwh) * 100) / 100;
    return {
      port: 1,
      currentState: s.state,
      rawCurrentState: s.state,
      chargeId: s.start.chargeId,
      startType: s.start.startType,
      chargeType: s.start.chargeType,
      maxDurationMin: s.start.maxDurationMin,
      maxEnergyKwh: s.start.maxEnergyKwh,
      param3: 0xffff,
      reservationTime: em(s.reservationAtMs),
      userId: s.start.userId,
      maxCurrentA: s.start.maxCurrentA,
      startTime: em(s.startedAtMs),
      durationS: this.charging ? Math.floor((nowMs - s.startedAtMs) / 1000) : 0,
      energyStartKwh: Math.floor(s.energyStartKwh * 100) / 100,
      energyNowKwh: Math.floor(this.energyKwh * 100) / 100,
      chargedKwh: charged,
      price: 0,
      feeType: 0,
      fee: 0,
      extendedState: null,
    };
  }
}
