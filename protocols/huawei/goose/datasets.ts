// The three GOOSE datasets of spec §6.3 as typed messages.
import type { GoosePdu, GooseTime, GooseValue } from "./pdu.ts";

export const DATASET = {
  powerRequest: "CC/0$GO$PowerRequest",
  shutdownRequest: "CC/0$GO$ShutdownRequest",
  powerRequestReply: "CC/0$GO$PowerRequestReply",
} as const;

export const APPID = { powerRequest: 0x0001, powerRequestReply: 0x3001, shutdownRequest: 0x3002 } as const;

/** Requirement types of a PowerRequest. */
export const Requirement = { modulePlaceholder: 1, insulationOutput: 2, insulationStop: 3, precharge: 4, charging: 5 } as const;
export type RequirementType = (typeof Requirement)[keyof typeof Requirement];
export const GooseMode = { none: 0, constantVoltage: 1, constantCurrent: 2 } as const;
export const ShutdownReason = {
  normal: 0x1000,
  connectorDisconnected: 0x1001,
  connectorNotInserted: 0x1002,
  insulationFault: 0x1003,
  epo: 0x1004,
  mismatch: 0x1005,
  otherChargerFault: 0x1006,
  otherVehicleFault: 0x1007,
  bmsNotConnected: 0x1008,
  powerUnitCannotCharge: 0x1009,
} as const;
export const ReplyResult = { success: 0, failure: 1 } as const;
/** Charging serial number and the two reserved trailing entries: always 0xFFFF (spec §5.2). */
export const UNUSED = 0xffff;

export interface PowerRequest {
  dataset: "PowerRequest";
  connector: number;
  chargingSn: number;
  requirement: number;
  mode: number;
  voltage: number;
  current: number;
}

export interface ShutdownRequest {
  dataset: "ShutdownRequest";
  connector: number;
  chargingSn: number;
  reason: number;
}

export interface PowerRequestReply {
  dataset: "PowerRequestReply";
  connector: number;
  chargingSn: number;
  requirement: number;
  result: number;
  mode: number;
  voltage: number;
  current: number;
}

export type GooseMessage = PowerRequest | ShutdownRequest | PowerRequestReply;

const u = (value: number): GooseValue => ({ type: "u16", value });
const f = (value: number): GooseValue => ({ type: "f32", value });

export function appIdOf(m: GooseMessage): number {
  return m.dataset === "PowerRequest" ? APPID.powerRequest : m.dataset === "ShutdownRequest" ? APPID.shutdownRequest : APPID.powerRequestReply;
}

export function entriesOf(m: GooseMessage): GooseValue[] {
  switch (m.dataset) {
    case "PowerRequest":
      return [u(m.connector), u(m.chargingSn), u(m.requirement), u(m.mode), f(m.voltage), f(m.current), u(UNUSED), u(UNUSED)];
    case "ShutdownRequest":
      return [u(m.connector), u(m.chargingSn), u(m.reason), u(UNUSED), u(UNUSED)];
    case "PowerRequestReply":
      return [u(m.connector), u(m.chargingSn), u(m.requirement), u(m.result), u(m.mode), f(m.voltage), f(m.current), u(UNUSED), u(UNUSED)];
  }
}

export interface Envelope {
  timestamp: GooseTime;
  stNum: number;
  sqNum: number;
  /** 10000 ms as the library sends. */
  timeAllowedToLive?: number;
  /** 1 as the library sends (Huawei's capture: 0). */
  confRev?: number;
}

export function messagePdu(m: GooseMessage, e: Envelope): GoosePdu {
  const name = DATASET[m.dataset === "PowerRequest" ? "powerRequest" : m.dataset === "ShutdownRequest" ? "shutdownRequest" : "powerRequestReply"];
  return {
    gocbRef: name,
    timeAllowedToLive: e.timeAllowedToLive ?? 10_000,
    datSet: name,
    goId: name,
    timestamp: e.timestamp,
    stNum: e.stNum,
    sqNum: e.sqNum,
    simulation: false,
    confRev: e.confRev ?? 1,
    ndsCom: false,
    entries: entriesOf(m),
  };
}

/** Reads a message by its goID; a string says why it is not one of the three datasets. */
export function messageOf(p: GoosePdu): GooseMessage | string {
  const shape = p.entries.map((e) => (e.type === "u16" ? "u" : "f")).join("");
  const n = (i: number) => p.entries[i]?.value ?? 0;
  const want = (s: string) => (shape === s ? undefined : `${p.goId} with entries "${shape}", expected "${s}" (u = u16, f = float32)`);
  switch (p.goId) {
    case DATASET.powerRequest:
      return want("uuuuffuu") ?? { dataset: "PowerRequest", connector: n(0), chargingSn: n(1), requirement: n(2), mode: n(3), voltage: n(4), current: n(5) };
    case DATASET.shutdownRequest:
      return want("uuuuu") ?? { dataset: "ShutdownRequest", connector: n(0), chargingSn: n(1), reason: n(2) };
    case DATASET.powerRequestReply:
      return (
        want("uuuuuffuu") ??
        { dataset: "PowerRequestReply", connector: n(0), chargingSn: n(1), requirement: n(2), result: n(3), mode: n(4), voltage: n(5), current: n(6) }
      );
    default:
      return `unknown goID ${JSON.stringify(p.goId)}`;
  }
}
