// `$OK` data of the get commands (spec §8.3, §8.5) as typed values. Parsers take the reply's
// fields and throw RapiReplyError naming the command and field; extra trailing fields are ignored
// because firmware has grown replies before (`$GS`, `$GC` in 5.0.0).

import { ProtocolError } from "../../lib/errors.ts";
import { parseDec, parseHex, parseSigned, take, type FieldResult } from "./fields.ts";
import { parseRapiVersion, type Features, type RapiVersion } from "./version.ts";

export class RapiReplyError extends ProtocolError {
  override name = "RapiReplyError";
}

class Fields {
  constructor(private readonly code: string, private readonly f: readonly string[], min: number) {
    if (f.length < min) this.fail(`needs ${min} field${min === 1 ? "" : "s"}, got ${f.length}${f.length ? ` (${f.join(" ")})` : ""}`);
  }
  fail(message: string): never {
    throw new RapiReplyError(`$${this.code} reply: ${message}`);
  }
  private at(i: number): string {
    return this.f[i] ?? "";
  }
  private where(i: number, name: string): string {
    return `field ${i + 1} (${name})`;
  }
  private get(r: FieldResult<number>): number {
    return take(r, (m) => this.fail(m));
  }
  dec(i: number, name: string): number {
    return this.get(parseDec(this.at(i), this.where(i, name)));
  }
  signed(i: number, name: string): number {
    return this.get(parseSigned(this.at(i), this.where(i, name)));
  }
  hex(i: number, digits: number, name: string): number {
    return this.get(parseHex(this.at(i), digits, this.where(i, name)));
  }
  oneOf<T extends string>(i: number, name: string, values: readonly T[]): T {
    const v = values.find((x) => x === this.at(i));
    if (v === undefined) this.fail(`${this.where(i, name)}: expected ${values.join(" or ")}, got "${this.at(i)}"`);
    return v;
  }
  str(i: number, name: string): string {
    const v = this.at(i);
    if (v === "") this.fail(`${this.where(i, name)}: empty`);
    return v;
  }
}

const bit = (v: number): boolean => v !== 0;

export interface VersionInfo {
  firmware: string;
  protocol: RapiVersion;
}

/** `$GV` → `fw rapi`, e.g. `8.2.3 5.2.1` or `D4.10.4.EU 4.0.1`. */
export function parseGV(fields: readonly string[]): VersionInfo {
  const r = new Fields("GV", fields, 2);
  const protocol = parseRapiVersion(r.str(1, "RAPI version"));
  if (!protocol.ok) return r.fail(`field 2: ${protocol.error}`);
  return { firmware: r.str(0, "firmware version"), protocol: protocol.value };
}

export interface StateInfo {
  state: number;
  /** Seconds of the current or last session. */
  elapsedS: number;
  /** null before RAPI 5.0.0, which sent only `state elapsed`. */
  pilot: number | null;
  vflags: number | null;
}

/** `$GS`: `state(hex) elapsed pilot(hex) vflags(hex)` since 5.0.0, `state(decimal) elapsed` before. */
export function parseGS(fields: readonly string[], f: Features): StateInfo {
  if (!f.gsFourFields) {
    const r = new Fields("GS", fields, 2);
    return { state: r.dec(0, "EVSE state, decimal before RAPI 5"), elapsedS: r.dec(1, "elapsed s"), pilot: null, vflags: null };
  }
  const r = new Fields("GS", fields, 4);
  return { state: r.hex(0, 2, "EVSE state"), elapsedS: r.dec(1, "elapsed s"), pilot: r.hex(2, 2, "pilot state"), vflags: r.hex(3, 4, "volatile flags") };
}

export interface Settings {
  /** Pilot capacity, A. */
  currentA: number;
  flags: number;
}

/** `$GE` → `amps flags(hex)`. */
export function parseGE(fields: readonly string[]): Settings {
  const r = new Fields("GE", fields, 2);
  return { currentA: r.dec(0, "current capacity A"), flags: r.hex(1, 4, "settings flags") };
}

export interface Capacity {
  minA: number;
  /** Hardware maximum for the active service level (before 5.0.0: the only maximum reported). */
  hwMaxA: number;
  /** Current pilot; null before 5.0.0. */
  pilotA: number | null;
  /** Configured (EEPROM) maximum; null before 5.0.0. */
  maxA: number | null;
}

/** `$GC` → `min hmax pilot cmax` since 5.0.0, `min max` before. */
export function parseGC(fields: readonly string[], f: Features): Capacity {
  if (!f.gcFourFields) {
    const r = new Fields("GC", fields, 2);
    return { minA: r.dec(0, "minimum A"), hwMaxA: r.dec(1, "maximum A"), pilotA: null, maxA: null };
  }
  const r = new Fields("GC", fields, 4);
  return { minA: r.dec(0, "minimum A"), hwMaxA: r.dec(1, "hardware maximum A"), pilotA: r.dec(2, "pilot A"), maxA: r.dec(3, "configured maximum A") };
}

export interface Meter {
  /** Charge current, mA; null without an ammeter (−1). */
  currentMa: number | null;
  /** mV; null on very old firmware (−1). */
  voltageMv: number | null;
}

/** `$GG` → `mA mV`. */
export function parseGG(fields: readonly string[]): Meter {
  const r = new Fields("GG", fields, 2);
  const ma = r.signed(0, "current mA");
  const mv = r.signed(1, "voltage mV");
  return { currentMa: ma < 0 ? null : ma, voltageMv: mv < 0 ? null : mv };
}

/** −2560 tenths of °C marks an absent sensor. */
export const TEMP_ABSENT = -2560;

export interface Temperatures {
  /** Tenths of °C, null when absent: DS3231 (RTC), MCP9808, TMP007. */
  ds3231: number | null;
  mcp9808: number | null;
  tmp007: number | null;
}

/** `$GP` → three temperatures in tenths of °C. */
export function parseGP(fields: readonly string[]): Temperatures {
  const r = new Fields("GP", fields, 3);
  const t = (i: number, name: string): number | null => {
    const v = r.signed(i, name);
    return v <= TEMP_ABSENT ? null : v;
  };
  return { ds3231: t(0, "DS3231 tenths °C"), mcp9808: t(1, "MCP9808 tenths °C"), tmp007: t(2, "TMP007 tenths °C") };
}

export interface Energy {
  /** This session, watt-seconds. */
  sessionWs: number;
  /** Lifetime, Wh (not kWh, §13 item 9). */
  totalWh: number;
}

export function parseGU(fields: readonly string[]): Energy {
  const r = new Fields("GU", fields, 2);
  return { sessionWs: r.dec(0, "session Ws"), totalWh: r.dec(1, "lifetime Wh") };
}

export interface Heartbeat {
  intervalS: number;
  currentA: number;
  /** 0 never missed, 1 missed and acknowledged, 2 missed and not acknowledged (current still reduced). */
  trigger: 0 | 1 | 2;
}

/** `$GY` and every `$SY` reply → `interval current trigger`. */
export function parseHeartbeat(fields: readonly string[], code = "GY"): Heartbeat {
  const r = new Fields(code, fields, 3);
  const intervalS = r.dec(0, "interval s");
  const currentA = r.dec(1, "current A");
  const trigger = r.dec(2, "trigger");
  if (trigger === 0 || trigger === 1 || trigger === 2) return { intervalS, currentA, trigger };
  return r.fail(`field 3 (trigger): expected 0, 1 or 2, got ${trigger}`);
}

export interface FaultCounters {
  gfi: number;
  noGround: number;
  stuckRelay: number;
}

/** `$GF` → three counters in lower-case hex without padding (§13 item 9). */
export function parseGF(fields: readonly string[]): FaultCounters {
  const r = new Fields("GF", fields, 3);
  return { gfi: r.hex(0, 2, "GFI trips"), noGround: r.hex(1, 2, "no-ground trips"), stuckRelay: r.hex(2, 2, "stuck-relay trips") };
}

/** `$G0` → EV connection: connected, not connected, or unknown (pilot at −12 V). */
export function parseG0(fields: readonly string[]): "connected" | "not-connected" | "unknown" {
  const v = new Fields("G0", fields, 1).oneOf(0, "EV connection", ["0", "1", "2"] as const);
  return v === "1" ? "connected" : v === "0" ? "not-connected" : "unknown";
}

/** `$G3` → time limit in 15-minute steps; `$GH` → energy limit kWh; `$G4` → auth lock. */
export const parseG3 = (fields: readonly string[]): number => new Fields("G3", fields, 1).dec(0, "time limit (15-minute steps)");
export const parseGH = (fields: readonly string[]): number => new Fields("GH", fields, 1).dec(0, "energy limit kWh");
export const parseG4 = (fields: readonly string[]): boolean => bit(new Fields("G4", fields, 1).dec(0, "auth lock"));

export function parseG5(fields: readonly string[]): { locked: boolean; mode: "A" | "M" } {
  const r = new Fields("G5", fields, 2);
  return { locked: bit(r.dec(0, "lock")), mode: r.oneOf(1, "mode", ["A", "M"] as const) };
}

/** `$GA` / `$GM` → calibration `scale offset` (signed). */
export function parseCalibration(fields: readonly string[], code: "GA" | "GM"): { scale: number; offset: number } {
  const r = new Fields(code, fields, 2);
  return { scale: r.signed(0, "scale"), offset: r.signed(1, "offset") };
}

export interface TimerWindow {
  startHour: number;
  startMinute: number;
  endHour: number;
  endMinute: number;
}

/** `$GD` → delay timer window, null when all four are 0 (disabled). */
export function parseGD(fields: readonly string[]): TimerWindow | null {
  const r = new Fields("GD", fields, 4);
  const w = { startHour: r.dec(0, "start hour"), startMinute: r.dec(1, "start minute"), endHour: r.dec(2, "end hour"), endMinute: r.dec(3, "end minute") };
  return w.startHour + w.startMinute + w.endHour + w.endMinute === 0 ? null : w;
}

/** `$GT` → RTC time, null when no RTC is fitted (year 165 or second 85, as the gateway library reads it). */
export function parseGT(fields: readonly string[]): { year: number; month: number; day: number; hour: number; minute: number; second: number } | null {
  const r = new Fields("GT", fields, 6);
  const yr = r.dec(0, "year");
  const month = r.dec(1, "month");
  const day = r.dec(2, "day");
  const hour = r.dec(3, "hour");
  const minute = r.dec(4, "minute");
  const second = r.dec(5, "second");
  if (yr === 165 || second === 85) return null;
  return { year: 2000 + yr, month, day, hour, minute, second };
}

/**
 * `$GI` → MCU id: the reply has two spaces after `$OK` (so the first field is empty), then 6 ASCII
 * characters and 8 hex digits (§14 item 3). A reply without the empty field is read the same.
 */
export function parseGI(fields: readonly string[]): string {
  const rest = fields[0] === "" ? fields.slice(1) : fields;
  return new Fields("GI", rest, 1).str(0, "MCU id");
}

/** `$GR` (D9) → relays enabled: DC 1, DC 2, AC. */
export function parseGR(fields: readonly string[]): { dc1: boolean; dc2: boolean; ac: boolean } {
  const r = new Fields("GR", fields, 3);
  return { dc1: bit(r.dec(0, "DC relay 1")), dc2: bit(r.dec(1, "DC relay 2")), ac: bit(r.dec(2, "AC relay")) };
}

/** `$GZ` (D9) → line frequency in hundredths of Hz, null when not measured (0). */
export function parseGZ(fields: readonly string[]): number | null {
  const v = new Fields("GZ", fields, 1).dec(0, "frequency (centi-Hz)");
  return v === 0 ? null : v;
}

/** `$SC` reply (either `$OK n` or, when clamped or refused, `$NK n`) → the pilot now in force. */
export function parseSC(fields: readonly string[]): number {
  return new Fields("SC", fields, 1).dec(0, "resulting capacity A");
}

/** `$SB` reply: 0 unlocked, 1 failed (sent as `$OK 1` even on failure, §8.2). */
export function parseSB(fields: readonly string[]): boolean {
  return new Fields("SB", fields, 1).oneOf(0, "result", ["0", "1"] as const) === "0";
}
