// Typed builders for the RAPI commands of spec §8.1, §8.2, §8.3 and §8.5. Each one checks its
// arguments and, where §8.6 says the command is version-bound, the controller's features, so a
// command the controller would refuse or misread never reaches the wire.

import { CommandError } from "../../lib/errors.ts";
import { commandText, RapiEncodeError, type Command } from "./codec.ts";
import type { Features } from "./version.ts";

function cmd(code: string, ...params: (string | number)[]): Command {
  return { code, params: params.map(String) };
}

function int(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new CommandError(`${what} must be a whole number ${min}–${max}, got ${v}`);
  return v;
}

function needs(f: Features | undefined, ok: (f: Features) => boolean, what: string, since: string): void {
  if (f && !ok(f)) throw new CommandError(`${what} needs RAPI ${since}; this controller speaks ${f.version.text}`);
}

/** Feature letters of `$FF` (§8.1). `E` (echo) is deliberately absent: both values switch echo on (§14 item 2). */
export const FEATURE_LETTERS = ["B", "D", "F", "G", "R", "T", "V", "O", "L", "P", "Z"] as const;
export type FeatureLetter = (typeof FEATURE_LETTERS)[number];

/** `$SC` forms: saved to EEPROM, volatile (`V`, use for frequent changes), or the write-once hardware maximum (`M`). */
export type CurrentMode = "persistent" | "volatile" | "hardware-max";

export const GET_CODES = ["G0", "G3", "G4", "G5", "GA", "GC", "GD", "GE", "GF", "GG", "GH", "GI", "GM", "GO", "GP", "GR", "GS", "GT", "GU", "GV", "GY", "GZ"] as const;
export type GetCode = (typeof GET_CODES)[number];

const D9_GETS: ReadonlySet<string> = new Set(["GR", "GZ"]);

/** The largest pilot current OpenEVSE hardware advertises. */
export const MAX_PILOT_A = 80;
/** Magic cookie that acknowledges a missed heartbeat (0xA5, §8.5). */
export const HEARTBEAT_ACK = 165;

// ---- §8.1 function commands ----

export const enable = (): Command => cmd("FE");
export const sleep = (): Command => cmd("FS");
export const disable = (): Command => cmd("FD");
/** No reply comes; the next thing on the line is `$AB` (§5). */
export const reboot = (): Command => cmd("FR");
/** Simulated short press of the front button. */
export const pressButton = (): Command => cmd("F1");

/** `$F0 0`: the host owns the LCD; `$F0 1`: the controller again, with a redraw. */
export function lcdHostControl(hostOwnsDisplay: boolean): Command {
  return cmd("F0", hostOwnsDisplay ? 0 : 1);
}

export function backlight(colour: number): Command {
  return cmd("FB", int("backlight colour", colour, 0, 7));
}

/**
 * `$FP x y text`: words become separate tokens (the controller re-joins them with single spaces),
 * so text is limited by both the 31-character frame and the 10-token limit; both are checked here.
 */
export function print(x: number, y: number, text: string): Command {
  const words = text.split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) throw new CommandError("LCD text is empty");
  const c = cmd("FP", int("LCD column", x, 0, 15), int("LCD row", y, 0, 1), ...words);
  try {
    commandText(c);
  } catch (err) {
    if (err instanceof RapiEncodeError) throw new CommandError(`LCD text "${text}" does not fit one RAPI frame: ${err.message}`);
    throw err;
  }
  return c;
}

/** `$FF <letter> 0|1`, saved to EEPROM. `P`/`Z` only on D9; `O`/`L` are what the gateway sends, mainline answers `$NK`. */
export function feature(letter: FeatureLetter, on: boolean, f?: Features): Command {
  if (!FEATURE_LETTERS.includes(letter)) throw new CommandError(`unknown $FF feature letter "${String(letter)}"`);
  needs(f, (x) => x.featureSwitches, "$FF", "4.0.0");
  if (letter === "P" || letter === "Z") needs(f, (x) => x.d9, `$FF ${letter}`, "6.0.0 (D9)");
  return cmd("FF", letter, on ? 1 : 0);
}

export function resetFaultCounters(f?: Features): Command {
  needs(f, (x) => x.d9, "$FC", "6.0.0 (D9)");
  return cmd("FC");
}

/** Over-temperature shutdown threshold in tenths of °C (D9). */
export function overTemperature(tenthsC: number, f?: Features): Command {
  needs(f, (x) => x.d9, "$FO", "6.0.0 (D9)");
  return cmd("FO", int("over-temperature threshold (tenths of °C)", tenthsC, 0, 2000));
}

// ---- §8.2 set commands ----

export function lcdType(rgb: boolean): Command {
  return cmd("S0", rgb ? 1 : 0);
}

export interface RtcTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** `$S1 yr mo dy hr mn sc`, two-digit year. */
export function setRtc(t: RtcTime): Command {
  const yr = t.year >= 2000 ? t.year - 2000 : t.year;
  return cmd("S1", int("RTC year (2000–2099 or 0–99)", yr, 0, 99), int("RTC month", t.month, 1, 12), int("RTC day", t.day, 1, 31), int("RTC hour", t.hour, 0, 23), int("RTC minute", t.minute, 0, 59), int("RTC second", t.second, 0, 59));
}

/** Time limit in 15-minute steps (0 = none); only in states B/C and only on builds with TIME_LIMIT. */
export function timeLimit(quarterHours: number): Command {
  return cmd("S3", int("time limit (15-minute steps)", quarterHours, 0, 255));
}

/** Auth lock: a locked EVSE will not enter state C (not a socket lock, §13 item 10). */
export function authLock(locked: boolean): Command {
  return cmd("S4", locked ? 1 : 0);
}

/** Type-2 socket lock: `A` automatic, `M` manual, then 0/1 unlock/lock while manual. */
export function mennekesLock(action: "A" | "M" | "unlock" | "lock", f?: Features): Command {
  needs(f, (x) => x.mennekes, "$S5", "5.2.0");
  return cmd("S5", action === "unlock" ? 0 : action === "lock" ? 1 : action);
}

/** Ammeter calibration; the controller parses unsigned decimal only, so negative values cannot be sent (§2.1). */
export function ammeterCalibration(scale: number, offset: number): Command {
  return cmd("SA", int("ammeter scale", scale, 0, 65535), int("ammeter offset (no negative values over RAPI)", offset, 0, 65535));
}

export function voltmeterCalibration(scale: number, offset: number): Command {
  return cmd("SM", int("voltmeter scale", scale, 0, 65535), int("voltmeter offset (no negative values over RAPI)", offset, 0, 65535));
}

export function bootUnlock(f?: Features): Command {
  needs(f, (x) => x.bootLock, "$SB", "5.2.1");
  return cmd("SB");
}

/** `$SC amps` (EEPROM), `$SC amps V` (volatile), `$SC amps M` (write-once hardware maximum). */
export function setCurrent(amps: number, mode: CurrentMode, f?: Features): Command {
  const a = int("charge current (A)", amps, 1, MAX_PILOT_A);
  if (mode === "persistent") return cmd("SC", a);
  if (mode === "volatile") return cmd("SC", a, "V");
  needs(f, (x) => x.hardwareMax, "$SC … M", "5.1.1");
  return cmd("SC", a, "M");
}

/** Energy limit for this session, kWh (0 = none). */
export function chargeLimit(kWh: number): Command {
  return cmd("SH", int("energy limit (kWh)", kWh, 0, 255));
}

/** Sets the lifetime Wh counter. Always explicit: `$SK` without a value writes an undefined number (§14 item 19). */
export function setEnergyCounter(wh = 0): Command {
  return cmd("SK", int("lifetime energy (Wh)", wh, 0, 0xffffffff));
}

export function serviceLevel(level: 1 | 2 | "A"): Command {
  if (level !== 1 && level !== 2 && level !== "A") throw new CommandError(`service level must be 1, 2 or A, got ${String(level)}`);
  return cmd("SL", level);
}

export function setRelay(relay: 1 | 2 | 3, enabled: boolean, f?: Features): Command {
  needs(f, (x) => x.d9, "$SR", "6.0.0 (D9)");
  return cmd("SR", int("relay", relay, 1, 3), enabled ? 1 : 0);
}

/** Charge window; outside it the EVSE sleeps. `delayTimer(null)` cancels (`$ST 0 0 0 0`). */
export function delayTimer(window: { startHour: number; startMinute: number; endHour: number; endMinute: number } | null): Command {
  if (window === null) return cmd("ST", 0, 0, 0, 0);
  return cmd("ST", int("start hour", window.startHour, 0, 23), int("start minute", window.startMinute, 0, 59), int("end hour", window.endHour, 0, 23), int("end minute", window.endMinute, 0, 59));
}

/** Voltage for the controller's energy integration, millivolts; volatile (§8.2). */
export function setVoltage(millivolts: number, f?: Features): Command {
  needs(f, (x) => x.setVoltage, "$SV (millivolts)", "5.1.3");
  return cmd("SV", int("voltage (mV)", millivolts, 0, 500_000));
}

// ---- §8.5 heartbeat supervision ----

/** Arms supervision (both values go to EEPROM); interval 0 disarms. */
export function heartbeatArm(intervalS: number, currentA: number, f?: Features): Command {
  needs(f, (x) => x.heartbeat, "$SY", "5.0.0");
  return cmd("SY", int("heartbeat interval (s)", intervalS, 0, 65535), int("heartbeat current (A)", currentA, 0, MAX_PILOT_A));
}

export function heartbeatPulse(f?: Features): Command {
  needs(f, (x) => x.heartbeat, "$SY", "5.0.0");
  return cmd("SY");
}

/** Acknowledges a missed pulse; the controller goes back to its configured maximum. */
export function heartbeatAck(f?: Features): Command {
  needs(f, (x) => x.heartbeat, "$SY", "5.0.0");
  return cmd("SY", HEARTBEAT_ACK);
}

// ---- §8.3 get commands ----

export function get(code: GetCode, f?: Features): Command {
  if (!GET_CODES.includes(code)) throw new CommandError(`unknown get command "${String(code)}"`);
  if (D9_GETS.has(code)) needs(f, (x) => x.d9, `$${code}`, "6.0.0 (D9)");
  if (code === "GY") needs(f, (x) => x.heartbeat, "$GY", "5.0.0");
  if (code === "GI") needs(f, (x) => x.mcuId, "$GI", "5.1.4");
  if (code === "G5") needs(f, (x) => x.mennekes, "$G5", "5.2.0");
  return cmd(code);
}
