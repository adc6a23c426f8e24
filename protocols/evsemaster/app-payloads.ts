// Payloads the app sends (§5.6, §5.8, §5.10, §5.11), plus the config family shared by both directions.

import { Reader, Writer } from "./frame.ts";
import { PayloadError } from "./evse-payloads.ts";

function need(r: Reader, min: number, what: string): void {
  if (r.length < min) throw new PayloadError(`${what} payload too short: ${r.length} < ${min} bytes`);
}

// ---- 0x8007 ChargeStart (§5.6) ----
export interface ChargeStart {
  lineId: number;
  userId: string;
  chargeId: string;
  isReservation: boolean;
  /** EM time. */
  startTime: number;
  startType: number;
  chargeType: number;
  maxDurationMin: number | null;
  /** Hundredths of kWh on the wire; null = unlimited. */
  maxEnergyKwh: number | null;
  param3: number;
  maxCurrentA: number;
}

export function encodeChargeStart(c: ChargeStart): Uint8Array {
  const w = new Writer(47);
  w.u8(0, c.lineId).str(1, 16, c.userId).str(17, 16, c.chargeId).u8(33, c.isReservation ? 1 : 0).u32(34, c.startTime);
  w.u8(38, c.startType).u8(39, c.chargeType).u16(40, c.maxDurationMin ?? 0xffff);
  w.u16(42, c.maxEnergyKwh === null ? 0xffff : Math.floor(c.maxEnergyKwh * 100 + 1e-9)).u16(44, c.param3).u8(46, c.maxCurrentA);
  return w.b;
}

export function decodeChargeStart(b: Uint8Array): ChargeStart {
  const r = new Reader(b);
  need(r, 47, "charge start");
  const d = r.u16(40);
  const e = r.u16(42);
  return {
    lineId: r.u8(0),
    userId: r.str(1, 16),
    chargeId: r.str(17, 16),
    isReservation: r.u8(33) !== 0,
    startTime: r.u32(34),
    startType: r.u8(38),
    chargeType: r.u8(39),
    maxDurationMin: d === 0xffff ? null : d,
    maxEnergyKwh: e === 0xffff ? null : e / 100,
    param3: r.u16(44),
    maxCurrentA: r.u8(46),
  };
}

// ---- 0x8008 ChargeStop (§5.8): always the full 47 bytes, as the OEM app sends ----
export interface ChargeStop {
  lineId: number;
  userId: string;
}

export function encodeChargeStop(c: ChargeStop): Uint8Array {
  return new Writer(47).u8(0, c.lineId).str(1, 16, c.userId).b;
}

/** Short variants (1 byte or empty) are reported to work on some units, so accept them. */
export function decodeChargeStop(b: Uint8Array): ChargeStop {
  const r = new Reader(b);
  return { lineId: r.length > 0 ? r.u8(0) : 1, userId: r.length >= 17 ? r.str(1, 16) : "" };
}

// ---- config family (§5.10): [action][value…] in both directions ----
export interface SettingValue {
  action: number;
  value: number;
}

export function encodeSetting(s: SettingValue): Uint8Array {
  return Uint8Array.of(s.action, s.value);
}

export function decodeSetting(b: Uint8Array): SettingValue {
  const r = new Reader(b);
  need(r, 2, "setting");
  return { action: r.u8(0), value: r.u8(1) };
}

const NAME_PREFIX = "ACP#";
/** emproto4go and evseMQTT both limit names to 11 characters (G9). */
export const NAME_MAX = 11;

export interface NameValue {
  action: number;
  name: string;
}

/** Requests carry `ACP#` + name in a 32-byte field; a GET sends 32 zero bytes. */
export function encodeName(n: NameValue, withPrefix = true): Uint8Array {
  const w = new Writer(33).u8(0, n.action);
  if (n.name !== "" || n.action !== 2) w.str(1, 32, (withPrefix ? NAME_PREFIX : "") + n.name);
  return w.b;
}

/** Answers carry 16 or 32 bytes, with or without the prefix (G9). */
export function decodeName(b: Uint8Array): NameValue {
  const r = new Reader(b);
  need(r, 1, "name");
  const raw = r.str(1, Math.min(32, r.length - 1));
  return { action: r.u8(0), name: raw.startsWith(NAME_PREFIX) ? raw.slice(NAME_PREFIX.length) : raw };
}

export interface TimeValue {
  action: number;
  /** EM time. */
  time: number;
}

export function encodeTime(t: TimeValue): Uint8Array {
  return new Writer(5).u8(0, t.action).u32(1, t.time).b;
}

export function decodeTime(b: Uint8Array): TimeValue {
  const r = new Reader(b);
  need(r, 5, "system time");
  return { action: r.u8(0), time: r.u32(1) };
}

// ---- 0x0009 CurrentChargeRecord (§5.11) and its 0x8009 ack ----
export interface ChargeRecord {
  lineId: number;
  startUserId: string;
  endUserId: string;
  chargeId: string;
  hasReservation: boolean;
  startType: number;
  chargeType: number;
  param1: number;
  param2: number;
  param3: number;
  stopReason: number;
  hasStopCharge: boolean;
  reservationTime: number;
  startTime: number;
  stopTime: number;
  chargedS: number;
  energyStartKwh: number;
  energyStopKwh: number;
  chargedKwh: number;
  price: number;
  feeType: number;
  fee: number;
  /** Per-interval logs follow; their offsets disagree between sources (G15), so they are not decoded. */
  logLength: number;
}

export function decodeChargeRecord(b: Uint8Array): ChargeRecord {
  const r = new Reader(b);
  need(r, 97, "charge record");
  return {
    lineId: r.u8(0),
    startUserId: r.str(1, 16),
    endUserId: r.str(17, 16),
    chargeId: r.str(33, 16),
    hasReservation: r.u8(49) !== 0,
    startType: r.u8(50),
    chargeType: r.u8(51),
    param1: r.u16(52),
    param2: r.u16(54),
    param3: r.u16(56),
    stopReason: r.u8(58),
    hasStopCharge: r.u8(59) !== 0,
    reservationTime: r.u32(60),
    startTime: r.u32(64),
    stopTime: r.u32(68),
    chargedS: r.u32(72),
    energyStartKwh: r.u32(76) / 100,
    energyStopKwh: r.u32(80) / 100,
    chargedKwh: r.u32(84) / 100,
    price: r.u32(88) / 100,
    feeType: r.u8(92),
    fee: r.u16(93) / 100,
    logLength: r.u16(95),
  };
}

export function encodeChargeRecord(c: ChargeRecord): Uint8Array {
  const w = new Writer(97);
  w.u8(0, c.lineId).str(1, 16, c.startUserId).str(17, 16, c.endUserId).str(33, 16, c.chargeId);
  w.u8(49, c.hasReservation ? 1 : 0).u8(50, c.startType).u8(51, c.chargeType).u16(52, c.param1).u16(54, c.param2).u16(56, c.param3);
  w.u8(58, c.stopReason).u8(59, c.hasStopCharge ? 1 : 0).u32(60, c.reservationTime).u32(64, c.startTime).u32(68, c.stopTime);
  w.u32(72, c.chargedS).u32(76, Math.round(c.energyStartKwh * 100)).u32(80, Math.round(c.energyStopKwh * 100));
  w.u32(84, Math.round(c.chargedKwh * 100)).u32(88, Math.round(c.price * 100)).u8(92, c.feeType).u16(93, Math.round(c.fee * 100));
  w.u16(95, 0);
  return w.b;
}

export interface RecordAck {
  lineId: number;
  chargeId: string;
  /** Meaning unknown (G15); the bridge sends 0. */
  status: number;
}

export function encodeRecordAck(a: RecordAck): Uint8Array {
  return new Writer(18).u8(0, a.lineId).str(1, 16, a.chargeId).u8(17, a.status).b;
}

export function decodeRecordAck(b: Uint8Array): RecordAck {
  const r = new Reader(b);
  need(r, 18, "record ack");
  return { lineId: r.u8(0), chargeId: r.str(1, 16), status: r.u8(17) };
}
