// Payloads the EVSE sends (§5): decode for the bridge, encode for the simulator and tests.
// Lenient about length (§2.5): optional trailing fields are read only when present.

import { Reader, Writer } from "./frame.ts";

export class PayloadError extends Error {
  override name = "PayloadError";
}

function need(r: Reader, min: number, what: string): void {
  if (r.length < min) throw new PayloadError(`${what} payload too short: ${r.length} < ${min} bytes`);
}

const u16OrNull = (x: number): number | null => (x === 0xffff ? null : x);
const tempC = (raw: number): number | null => (raw === 0xffff || raw === 0x00ff ? null : (raw - 20000) / 100);
const tempRaw = (c: number | null): number => (c === null ? 0xffff : Math.round(c * 100) + 20000);
const useExtended = (ext: number | null): boolean => ext === 18 || ext === 19;

// ---- 0x0001 / 0x0002 (§5.1) ----
export interface LoginInfo {
  deviceType: number;
  brand: string;
  model: string;
  hardwareVersion: string;
  maxPowerW: number;
  maxCurrentA: number;
  hotline: string;
  /** Byte 70 of 119/151-byte variants: a capability byte on three-phase types. */
  extra: number | null;
}

export function decodeLoginInfo(b: Uint8Array): LoginInfo {
  const r = new Reader(b);
  need(r, 70, "login");
  const info: LoginInfo = {
    deviceType: r.u8(0),
    brand: r.str(1, 16),
    model: r.str(17, 16),
    hardwareVersion: r.str(33, 16),
    maxPowerW: r.u32(49),
    maxCurrentA: r.u8(53),
    hotline: r.str(54, 16),
    extra: null,
  };
  // Only the variants emproto knows are extended; other lengths (Morec) keep the base (G14).
  if (r.length === 118) info.hotline = (info.hotline + r.str(70, 48)).trim();
  if (r.length === 119 || r.length === 151) {
    info.extra = r.u8(70);
    info.hotline = (info.hotline + r.str(71, 48)).trim();
  }
  if (r.length === 151) {
    info.brand += r.str(119, 16);
    info.model += r.str(135, 16);
  }
  return info;
}

export function encodeLoginInfo(i: LoginInfo): Uint8Array {
  const w = new Writer(i.extra === null ? 70 : 119);
  w.u8(0, i.deviceType).str(1, 16, i.brand).str(17, 16, i.model).str(33, 16, i.hardwareVersion);
  w.u32(49, i.maxPowerW).u8(53, i.maxCurrentA).str(54, 16, i.hotline.slice(0, 16));
  if (i.extra !== null) w.u8(70, i.extra).str(71, 48, i.hotline.slice(16));
  return w.b;
}

// ---- 0x0004 / 0x000D (§5.4) ----
export interface StatusData {
  lineId: number;
  voltageV: [number, number | null, number | null];
  currentA: [number, number | null, number | null];
  /** The power field as sent; may lag or be 0 (§5.4). */
  powerW: number;
  energyKwh: number;
  innerTempC: number | null;
  outerTempC: number | null;
  emergency: number;
  gunState: number;
  outputState: number;
  /** Byte 20, or the extended byte 34 when that is 18 or 19 (emproto4go rule). */
  currentState: number;
  rawCurrentState: number;
  extendedState: number | null;
  errors: number;
  /** Bytes 33… of the "new protocol" variant (Morec), kept raw; null when absent. */
  extension: Uint8Array | null;
}

export function decodeStatus(b: Uint8Array): StatusData {
  const r = new Reader(b);
  need(r, 25, "status");
  const three = r.length >= 33;
  const ext = r.length >= 35 ? r.u8(34) : null;
  const extension = r.length > 33 ? b.slice(33) : null;
  return {
    lineId: r.u8(0),
    voltageV: [r.u16(1) / 10, three ? r.u16(25) / 10 : null, three ? r.u16(29) / 10 : null],
    currentA: [r.u16(3) / 100, three ? r.u16(27) / 100 : null, three ? r.u16(31) / 100 : null],
    powerW: r.u32(5),
    energyKwh: r.u32(9) / 100,
    innerTempC: tempC(r.u16(13)),
    outerTempC: tempC(r.u16(15)),
    emergency: r.u8(17),
    gunState: r.u8(18),
    outputState: r.u8(19),
    currentState: ext !== null && useExtended(ext) ? ext : r.u8(20),
    rawCurrentState: r.u8(20),
    extendedState: ext,
    errors: r.u32(21),
    extension,
  };
}

export function encodeStatus(s: StatusData): Uint8Array {
  const three = s.voltageV[1] !== null || s.extension !== null;
  const len = three ? 33 + (s.extension?.length ?? 0) : 25;
  const w = new Writer(len);
  w.u8(0, s.lineId).u16(1, Math.round(s.voltageV[0] * 10)).u16(3, Math.round(s.currentA[0] * 100));
  w.u32(5, s.powerW).u32(9, Math.round(s.energyKwh * 100)).u16(13, tempRaw(s.innerTempC)).u16(15, tempRaw(s.outerTempC));
  w.u8(17, s.emergency).u8(18, s.gunState).u8(19, s.outputState).u8(20, s.rawCurrentState).u32(21, s.errors >>> 0);
  if (len >= 33) {
    w.u16(25, Math.round((s.voltageV[1] ?? 0) * 10)).u16(27, Math.round((s.currentA[1] ?? 0) * 100));
    w.u16(29, Math.round((s.voltageV[2] ?? 0) * 10)).u16(31, Math.round((s.currentA[2] ?? 0) * 100));
  }
  if (s.extension) w.b.set(s.extension, 33);
  return w.b;
}

/** emproto's rule: the power field, or Σ V×I when that is larger (§5.4). */
export function computedPowerW(s: StatusData): number {
  let sum = 0;
  for (let i = 0; i < 3; i++) sum += (s.voltageV[i] ?? 0) * (s.currentA[i] ?? 0);
  return Math.max(s.powerW, Math.round(sum));
}

// ---- 0x0005 / 0x0006 (§5.5) ----
export interface SessionData {
  port: number;
  currentState: number;
  rawCurrentState: number;
  chargeId: string;
  startType: number;
  chargeType: number;
  maxDurationMin: number | null;
  maxEnergyKwh: number | null;
  param3: number;
  /** EM time, raw (emtime.ts converts). */
  reservationTime: number;
  userId: string;
  maxCurrentA: number;
  startTime: number;
  durationS: number;
  energyStartKwh: number;
  energyNowKwh: number;
  chargedKwh: number;
  price: number;
  feeType: number;
  fee: number;
  extendedState: number | null;
}

export function decodeSession(b: Uint8Array): SessionData {
  const r = new Reader(b);
  need(r, 74, "session");
  const ext = r.length >= 75 ? r.u8(74) : null;
  const energy = u16OrNull(r.u16(22));
  return {
    port: r.u8(0),
    currentState: ext !== null && useExtended(ext) ? ext : r.u8(1),
    rawCurrentState: r.u8(1),
    chargeId: r.str(2, 16),
    startType: r.u8(18),
    chargeType: r.u8(19),
    maxDurationMin: u16OrNull(r.u16(20)),
    maxEnergyKwh: energy === null ? null : energy / 100,
    param3: r.u16(24),
    reservationTime: r.u32(26),
    userId: r.str(30, 16),
    maxCurrentA: r.u8(46),
    startTime: r.u32(47),
    durationS: r.u32(51),
    energyStartKwh: r.u32(55) / 100,
    energyNowKwh: r.u32(59) / 100,
    chargedKwh: r.u32(63) / 100,
    price: r.u32(67) / 100,
    feeType: r.u8(71),
    fee: r.u16(72) / 100,
    extendedState: ext,
  };
}

export function encodeSession(s: SessionData): Uint8Array {
  const w = new Writer(s.extendedState === null ? 74 : 75);
  w.u8(0, s.port).u8(1, s.rawCurrentState).str(2, 16, s.chargeId).u8(18, s.startType).u8(19, s.chargeType);
  w.u16(20, s.maxDurationMin ?? 0xffff).u16(22, s.maxEnergyKwh === null ? 0xffff : Math.round(s.maxEnergyKwh * 100));
  w.u16(24, s.param3).u32(26, s.reservationTime).str(30, 16, s.userId).u8(46, s.maxCurrentA).u32(47, s.startTime);
  w.u32(51, s.durationS).u32(55, Math.round(s.energyStartKwh * 100)).u32(59, Math.round(s.energyNowKwh * 100));
  w.u32(63, Math.round(s.chargedKwh * 100)).u32(67, Math.round(s.price * 100)).u8(71, s.feeType).u16(72, Math.round(s.fee * 100));
  if (s.extendedState !== null) w.u8(74, s.extendedState);
  return w.b;
}

// ---- 0x0007 / 0x0008 (§5.7, §5.9) ----
export interface StartResult {
  lineId: number;
  reservationResult: number;
  startResult: number;
  errorReason: number;
  maxCurrentA: number;
}

export function decodeStartResult(b: Uint8Array): StartResult {
  const r = new Reader(b);
  need(r, 5, "charge start response");
  return { lineId: r.u8(0), reservationResult: r.u8(1), startResult: r.u8(2), errorReason: r.u8(3), maxCurrentA: r.u8(4) };
}

export function encodeStartResult(s: StartResult): Uint8Array {
  return Uint8Array.of(s.lineId, s.reservationResult, s.startResult, s.errorReason, s.maxCurrentA);
}

export interface StopResult {
  lineId: number;
  stopResult: number;
  failReason: number;
}

export function decodeStopResult(b: Uint8Array): StopResult {
  const r = new Reader(b);
  need(r, 3, "charge stop response");
  return { lineId: r.u8(0), stopResult: r.u8(1), failReason: r.u8(2) };
}

export function encodeStopResult(s: StopResult): Uint8Array {
  return Uint8Array.of(s.lineId, s.stopResult, s.failReason);
}

// ---- 0x0106 (§5.10) ----
export interface VersionInfo {
  hardwareVersion: string;
  softwareVersion: string;
  feature: number;
  /** Absent on the BS20 (36-byte reply, §9). */
  supportNew: number | null;
}

export function decodeVersion(b: Uint8Array): VersionInfo {
  const r = new Reader(b);
  need(r, 36, "version");
  return { hardwareVersion: r.str(0, 16), softwareVersion: r.str(16, 16), feature: r.u32(32), supportNew: r.length >= 37 ? r.u8(36) : null };
}

export function encodeVersion(v: VersionInfo): Uint8Array {
  const w = new Writer(v.supportNew === null ? 36 : 37);
  w.str(0, 16, v.hardwareVersion).str(16, 16, v.softwareVersion).u32(32, v.feature);
  if (v.supportNew !== null) w.u8(36, v.supportNew);
  return w.b;
}
