// Typed EM messages in both directions, and the codecs that turn a UDP link's packets into them.

import { errorMessage } from "../../lib/errors.ts";
import type { Codec } from "../../lib/link.ts";
import * as A from "./app-payloads.ts";
import { ACTION_GET, APP, CMD, NUMERIC_SETTINGS, settingOf, type NumericSetting } from "./enums.ts";
import * as E from "./evse-payloads.ts";
import { decodeFrames, encodeFrame, EVSE_PASSWORD, type Frame } from "./frame.ts";
import type { Step } from "../../lib/transform.ts";

export { PayloadError } from "./evse-payloads.ts";

/** What the EVSE sends. */
export type EvseMessage =
  | { type: "beacon"; info: E.LoginInfo }
  | { type: "loginResponse"; info: E.LoginInfo }
  | { type: "passwordError" }
  | { type: "heading" }
  | { type: "status"; polled: boolean; status: E.StatusData }
  | { type: "session"; pushed: boolean; session: E.SessionData }
  | { type: "chargeStartResponse"; result: E.StartResult }
  | { type: "chargeStopResponse"; result: E.StopResult }
  | { type: "chargeRecord"; record: A.ChargeRecord }
  | { type: "setting"; setting: NumericSetting; action: number; value: number }
  | { type: "name"; action: number; name: string }
  | { type: "systemTime"; action: number; time: number }
  | { type: "version"; version: E.VersionInfo }
  | { type: "unknown"; command: number; payload: Uint8Array };

/** What the app sends. */
export type AppMessage =
  | { type: "requestLogin" }
  | { type: "loginConfirm" }
  | { type: "headingResponse" }
  | { type: "statusAck" }
  | { type: "sessionAck" }
  | { type: "sessionRequest" }
  | { type: "statusPoll" }
  | { type: "chargeStart"; start: A.ChargeStart }
  | { type: "chargeStop"; stop: A.ChargeStop }
  | { type: "recordAck"; ack: A.RecordAck }
  | { type: "setting"; setting: NumericSetting; action: number; value: number }
  | { type: "name"; action: number; name: string }
  | { type: "systemTime"; action: number; time: number }
  | { type: "getVersion" }
  | { type: "unknown"; command: number; payload: Uint8Array };

export type Decoded<M> = { ok: true; frame: Frame; message: M } | { ok: false; error: string; serial?: string; command?: number };

const ZERO = Uint8Array.of(0);
const ONE = Uint8Array.of(1);

function evsePayload(m: EvseMessage): [number, Uint8Array] {
  switch (m.type) {
    case "beacon": return [CMD.login, E.encodeLoginInfo(m.info)];
    case "loginResponse": return [CMD.loginResponse, E.encodeLoginInfo(m.info)];
    case "passwordError": return [CMD.passwordError, new Uint8Array(0)];
    case "heading": return [CMD.heading, new Uint8Array(0)];
    case "status": return [m.polled ? CMD.statusRecord : CMD.status, E.encodeStatus(m.status)];
    case "session": return [m.pushed ? CMD.sessionPush : CMD.sessionReply, E.encodeSession(m.session)];
    case "chargeStartResponse": return [CMD.chargeStartResponse, E.encodeStartResult(m.result)];
    case "chargeStopResponse": return [CMD.chargeStopResponse, E.encodeStopResult(m.result)];
    case "chargeRecord": return [CMD.chargeRecord, A.encodeChargeRecord(m.record)];
    case "setting": return [NUMERIC_SETTINGS[m.setting], A.encodeSetting(m)];
    case "name": return [CMD.name, A.encodeName(m)];
    case "systemTime": return [CMD.systemTime, A.encodeTime(m)];
    case "version": return [CMD.version, E.encodeVersion(m.version)];
    case "unknown": return [m.command, m.payload];
  }
}

function appPayload(m: AppMessage): [number, Uint8Array] {
  switch (m.type) {
    case "requestLogin": return [APP | CMD.loginResponse, ZERO];
    case "loginConfirm": return [APP | CMD.login, ZERO];
    case "headingResponse": return [APP | CMD.heading, ZERO];
    case "statusAck": return [APP | CMD.status, ONE];
    case "sessionAck": return [APP | CMD.sessionPush, ZERO];
    case "sessionRequest": return [APP | CMD.sessionReply, ZERO];
    case "statusPoll": return [APP | CMD.statusRecord, new Uint8Array(0)];
    case "chargeStart": return [APP | CMD.chargeStartResponse, A.encodeChargeStart(m.start)];
    case "chargeStop": return [APP | CMD.chargeStopResponse, A.encodeChargeStop(m.stop)];
    case "recordAck": return [APP | CMD.chargeRecord, A.encodeRecordAck(m.ack)];
    case "setting": return [APP | NUMERIC_SETTINGS[m.setting], A.encodeSetting(m)];
    case "name": return [APP | CMD.name, A.encodeName(m)];
    case "systemTime": return [APP | CMD.systemTime, A.encodeTime(m)];
    case "getVersion": return [APP | CMD.version, new Uint8Array(0)];
    case "unknown": return [m.command, m.payload];
  }
}

/** A datagram as the EVSE sends it (password field 0xFF×6). */
export function encodeEvse(serial: string, m: EvseMessage): Uint8Array {
  const [command, payload] = evsePayload(m);
  return encodeFrame({ serial, password: EVSE_PASSWORD, command, payload });
}

/** A datagram as the app sends it; `password` is the 6-byte PIN field. */
export function encodeApp(serial: string, password: Uint8Array, m: AppMessage): Uint8Array {
  const [command, payload] = appPayload(m);
  return encodeFrame({ serial, password, command, payload });
}

/** Throws PayloadError (or RangeError) on a short payload; callers use decodeEvseFrame. */
function evseMessage(f: Frame): EvseMessage {
  const p = f.payload;
  const setting = settingOf(f.command);
  if (setting) return { type: "setting", setting, ...A.decodeSetting(p) };
  switch (f.command) {
    case CMD.login: return { type: "beacon", info: E.decodeLoginInfo(p) };
    case CMD.loginResponse: return { type: "loginResponse", info: E.decodeLoginInfo(p) };
    case CMD.passwordError: return { type: "passwordError" };
    case CMD.heading: return { type: "heading" };
    case CMD.status: return { type: "status", polled: false, status: E.decodeStatus(p) };
    case CMD.statusRecord: return { type: "status", polled: true, status: E.decodeStatus(p) };
    case CMD.sessionPush: return { type: "session", pushed: true, session: E.decodeSession(p) };
    case CMD.sessionReply: return { type: "session", pushed: false, session: E.decodeSession(p) };
    case CMD.chargeStartResponse: return { type: "chargeStartResponse", result: E.decodeStartResult(p) };
    case CMD.chargeStopResponse: return { type: "chargeStopResponse", result: E.decodeStopResult(p) };
    case CMD.chargeRecord: return { type: "chargeRecord", record: A.decodeChargeRecord(p) };
    case CMD.name: return { type: "name", ...A.decodeName(p) };
    case CMD.systemTime: return { type: "systemTime", ...A.decodeTime(p) };
    case CMD.version: return { type: "version", version: E.decodeVersion(p) };
    default: return { type: "unknown", command: f.command, payload: p };
  }
}

function appMessage(f: Frame): AppMessage {
  const p = f.payload;
  const setting = settingOf(f.command & ~APP);
  if (f.command & APP && setting) return { type: "setting", setting, ...A.decodeSetting(p) };
  switch (f.command) {
    case APP | CMD.loginResponse: return { type: "requestLogin" };
    case APP | CMD.login: return { type: "loginConfirm" };
    case APP | CMD.heading: return { type: "headingResponse" };
    case APP | CMD.status: return { type: "statusAck" };
    case APP | CMD.sessionPush: return { type: "sessionAck" };
    case APP | CMD.sessionReply: return { type: "sessionRequest" };
    case APP | CMD.statusRecord: return { type: "statusPoll" };
    case APP | CMD.chargeStartResponse: return { type: "chargeStart", start: A.decodeChargeStart(p) };
    case APP | CMD.chargeStopResponse: return { type: "chargeStop", stop: A.decodeChargeStop(p) };
    case APP | CMD.chargeRecord: return { type: "recordAck", ack: A.decodeRecordAck(p) };
    case APP | CMD.name: return { type: "name", ...A.decodeName(p) };
    // A GET may carry `00`+4 zeros (emproto) or just `02 00` (evseMQTT, G10).
    case APP | CMD.systemTime: return p.length >= 5 ? { type: "systemTime", ...A.decodeTime(p) } : { type: "systemTime", action: p[0] ?? ACTION_GET, time: 0 };
    case APP | CMD.version: return { type: "getVersion" };
    default: return { type: "unknown", command: f.command, payload: p };
  }
}

function decodeWith<M>(f: Frame, fn: (f: Frame) => M): Decoded<M> {
  try {
    return { ok: true, frame: f, message: fn(f) };
  } catch (err) {
    return { ok: false, error: `command 0x${f.command.toString(16).padStart(4, "0")}: ${errorMessage(err)}`, serial: f.serial, command: f.command };
  }
}

export const decodeEvseFrame = (f: Frame): Decoded<EvseMessage> => decodeWith(f, evseMessage);
export const decodeAppFrame = (f: Frame): Decoded<AppMessage> => decodeWith(f, appMessage);

/** Every datagram in one UDP packet, decoded; never throws. */
export function decodeEvsePacket(packet: Uint8Array): Decoded<EvseMessage>[] {
  return decodeFrames(packet).map((r) => (r.ok ? decodeEvseFrame(r.frame) : r));
}

export function decodeAppPacket(packet: Uint8Array): Decoded<AppMessage>[] {
  return decodeFrames(packet).map((r) => (r.ok ? decodeAppFrame(r.frame) : r));
}

/** What the bridge sends down a charger's link: one datagram (serial and PIN field checked by the caller). */
export interface AppDatagram {
  serial: string;
  /** The 6-byte PIN field (zeros without a PIN). */
  password: Uint8Array;
  message: AppMessage;
}

/** What a (simulated) charger sends: the EVSE fills the PIN field itself (§2.3). */
export interface EvseDatagram {
  serial: string;
  message: EvseMessage;
}

/** One UDP packet per chunk in, every datagram in it out, bad ones as values with their position. */
function packetDecoder<M>(decode: (packet: Uint8Array) => Decoded<M>[]): Step<Uint8Array, Decoded<M>> {
  return ({
    transform(packet, controller) {
      let results: Decoded<M>[];
      try {
        results = decode(packet);
      } catch (err) {
        // decode is written not to throw; this guard keeps one bad packet from ending the stream regardless.
        results = [{ ok: false, error: `decoder failure: ${errorMessage(err)}` }];
      }
      for (const r of results) controller.enqueue(r);
    },
  });
}

/** The bridge's side of a charger's UDP link: EVSE datagrams in, app datagrams out. */
export const evsemasterCodec: Codec<Decoded<EvseMessage>, AppDatagram> = {
  decoder: () => packetDecoder(decodeEvsePacket),
  encoder: () => ({ transform: (d, c) => c.enqueue(encodeApp(d.serial, d.password, d.message)) }),
};

/** The charger's side (the simulator): app datagrams in, EVSE datagrams out. */
export const chargerCodec: Codec<Decoded<AppMessage>, EvseDatagram> = {
  decoder: () => packetDecoder(decodeAppPacket),
  encoder: () => ({ transform: (d, c) => c.enqueue(encodeEvse(d.serial, d.message)) }),
};
