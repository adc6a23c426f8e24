// Typed messages ⇄ frames for both directions, including the two data layouts (spec §4.3).
import { crc32 } from "../../lib/crc32.ts";
import { ProtocolError } from "../../lib/errors.ts";
import { encodeFrame, Req, Resp, type Frame } from "./framing.ts";

export const PILOT_VOLTAGES = ["volt_12", "volt_9", "volt_6", "volt_3", "fault"] as const;
export const PROXIMITY_AMPS = ["amp_13", "amp_20", "amp_32", "no_cable"] as const;
export type PilotVoltage = (typeof PILOT_VOLTAGES)[number];
export type ProximityAmps = (typeof PROXIMITY_AMPS)[number];

/** Key order is the original bridge's JSON order; do not reorder. */
export interface Measurements {
  pilot_voltage: PilotVoltage;
  proximity_pilot_amps: ProximityAmps;
  phase1_millivolts: number;
  phase2_millivolts: number;
  phase3_millivolts: number;
  phase1_milliamps: number;
  phase2_milliamps: number;
  phase3_milliamps: number;
  wifi_rssi: number;
  uptime_milliseconds: number;
  current_control_pilot_adc: number;
  current_proximity_pilot_adc: number;
  logging_buffer: string;
}

export interface DataResponse {
  contactor_state: boolean;
  pwm_percent: number;
  measurements: Measurements;
}

export type ChargerMessage =
  | { type: "pong" }
  | { type: "data"; data: DataResponse }
  | { type: "pwm_ack" }
  | { type: "contactor_ack" }
  | { type: "notify" };

export type ServerRequest =
  | { type: "ping" }
  | { type: "collect" }
  | { type: "set_pwm"; percent: number }
  | { type: "set_contactor"; on: boolean }
  | { type: "firmware"; crc32: number; image: Uint8Array };

/** Firmware ≥ 3 carries two ADC words more (spec G6). */
export function fixedDataLength(firmware: number): number {
  return firmware >= 3 ? 44 : 36;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

export function decodeData(payload: Uint8Array, firmware: number): DataResponse {
  const fixed = fixedDataLength(firmware);
  if (payload.length < fixed) {
    throw new ProtocolError(`data frame payload ${payload.length} bytes is shorter than the ${fixed}-byte layout of firmware ${firmware}`);
  }
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const pv = v.getUint8(2);
  const pp = v.getUint8(3);
  const pilot = PILOT_VOLTAGES[pv];
  const prox = PROXIMITY_AMPS[pp];
  if (!pilot) throw new ProtocolError(`pilot_voltage ${pv} out of range 0–4 (payload offset 2)`);
  if (!prox) throw new ProtocolError(`proximity_pilot_amps ${pp} out of range 0–3 (payload offset 3)`);
  const legacy = firmware < 3;
  return {
    // The original maps only 1 to true (spec G10).
    contactor_state: v.getUint8(0) === 1,
    pwm_percent: v.getUint8(1),
    measurements: {
      pilot_voltage: pilot,
      proximity_pilot_amps: prox,
      phase1_millivolts: v.getUint32(4),
      phase2_millivolts: v.getUint32(8),
      phase3_millivolts: v.getUint32(12),
      phase1_milliamps: v.getUint32(16),
      phase2_milliamps: v.getUint32(20),
      phase3_milliamps: v.getUint32(24),
      wifi_rssi: v.getInt32(28),
      uptime_milliseconds: v.getInt32(32),
      current_control_pilot_adc: legacy ? 0 : v.getUint32(36),
      current_proximity_pilot_adc: legacy ? 0 : v.getUint32(40),
      // NUL separators stay, as in the original's JSON.
      logging_buffer: utf8.decode(payload.subarray(fixed)),
    },
  };
}

export function encodeData(d: DataResponse, firmware: number): Uint8Array {
  const fixed = fixedDataLength(firmware);
  const log = new TextEncoder().encode(d.measurements.logging_buffer);
  const out = new Uint8Array(fixed + log.length);
  const v = new DataView(out.buffer);
  const m = d.measurements;
  v.setUint8(0, d.contactor_state ? 1 : 0);
  v.setUint8(1, d.pwm_percent);
  v.setUint8(2, PILOT_VOLTAGES.indexOf(m.pilot_voltage));
  v.setUint8(3, PROXIMITY_AMPS.indexOf(m.proximity_pilot_amps));
  v.setUint32(4, m.phase1_millivolts);
  v.setUint32(8, m.phase2_millivolts);
  v.setUint32(12, m.phase3_millivolts);
  v.setUint32(16, m.phase1_milliamps);
  v.setUint32(20, m.phase2_milliamps);
  v.setUint32(24, m.phase3_milliamps);
  v.setInt32(28, m.wifi_rssi);
  v.setInt32(32, m.uptime_milliseconds);
  if (fixed === 44) {
    v.setUint32(36, m.current_control_pilot_adc);
    v.setUint32(40, m.current_proximity_pilot_adc);
  }
  out.set(log, fixed);
  return out;
}

/** Charger frame → message. Throws a non-fatal ProtocolError for a bad payload: the boundary is still known. */
export function decodeChargerFrame(f: Frame, firmware: number): ChargerMessage {
  const empty = (name: ChargerMessage["type"]): ChargerMessage => {
    if (f.payload.length !== 0) throw new ProtocolError(`${name} frame must be empty, has ${f.payload.length} bytes`);
    return { type: name } as ChargerMessage;
  };
  switch (f.type) {
    case Resp.pong:
      return empty("pong");
    case Resp.data:
      return { type: "data", data: decodeData(f.payload, firmware) };
    case Resp.pwmAck:
      return empty("pwm_ack");
    case Resp.contactorAck:
      return empty("contactor_ack");
    case Resp.notify:
      return empty("notify");
    default:
      throw new ProtocolError(`unknown charger frame type ${f.type}`, true);
  }
}

export function encodeChargerMessage(m: ChargerMessage, firmware: number): Uint8Array {
  switch (m.type) {
    case "pong":
      return encodeFrame(Resp.pong);
    case "data":
      return encodeFrame(Resp.data, encodeData(m.data, firmware));
    case "pwm_ack":
      return encodeFrame(Resp.pwmAck);
    case "contactor_ack":
      return encodeFrame(Resp.contactorAck);
    case "notify":
      return encodeFrame(Resp.notify);
  }
}

export function encodeRequest(r: ServerRequest): Uint8Array {
  switch (r.type) {
    case "ping":
      return encodeFrame(Req.ping);
    case "collect":
      return encodeFrame(Req.collect);
    case "set_pwm":
      if (!Number.isInteger(r.percent) || r.percent < 0 || r.percent > 100) throw new ProtocolError(`PWM percent must be an integer 0–100, got ${r.percent}`);
      return encodeFrame(Req.setPwm, Uint8Array.of(r.percent));
    case "set_contactor":
      return encodeFrame(Req.setContactor, Uint8Array.of(r.on ? 1 : 0));
    case "firmware": {
      const payload = new Uint8Array(4 + r.image.length);
      new DataView(payload.buffer).setUint32(0, r.crc32 >>> 0);
      payload.set(r.image, 4);
      return encodeFrame(Req.firmware, payload);
    }
  }
}

/** The simulator's side: server frame → request. */
export function decodeServerFrame(f: Frame): ServerRequest {
  const byte = () => {
    if (f.payload.length !== 1) throw new ProtocolError(`request type ${f.type} needs exactly 1 payload byte, has ${f.payload.length}`);
    return f.payload[0]!;
  };
  switch (f.type) {
    case Req.ping:
      return { type: "ping" };
    case Req.collect:
      return { type: "collect" };
    case Req.setPwm:
      return { type: "set_pwm", percent: byte() };
    case Req.setContactor:
      return { type: "set_contactor", on: byte() === 1 };
    case Req.firmware: {
      if (f.payload.length < 4) throw new ProtocolError("firmware frame shorter than its CRC");
      return { type: "firmware", crc32: new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0), image: f.payload.slice(4) };
    }
    default:
      throw new ProtocolError(`unknown request type ${f.type}`);
  }
}

/** Which charger reply answers which request; firmware uploads get none (spec §6, G13). */
export function expectedReply(r: ServerRequest): ChargerMessage["type"] | undefined {
  return ({ ping: "pong", collect: "data", set_pwm: "pwm_ack", set_contactor: "contactor_ack", firmware: undefined } as const)[r.type];
}

export function firmwareCrcMatches(image: Uint8Array, crc: number): boolean {
  return crc32(image) === crc >>> 0;
}
