// Command numbers (§3) and enumerations (§6) with the names the bridge publishes.

export const CMD = {
  login: 0x0001,
  loginResponse: 0x0002,
  heading: 0x0003,
  status: 0x0004,
  sessionPush: 0x0005,
  sessionReply: 0x0006,
  chargeStartResponse: 0x0007,
  chargeStopResponse: 0x0008,
  chargeRecord: 0x0009,
  statusRecord: 0x000d,
  systemTime: 0x0101,
  version: 0x0106,
  maxCurrent: 0x0107,
  name: 0x0108,
  offlineCharge: 0x010d,
  language: 0x010f,
  temperatureUnit: 0x0112,
  passwordError: 0x0155,
} as const;

/** App→EVSE: the EVSE command with bit 15 set (§3). */
export const APP = 0x8000;

export const ACTION_SET = 1;
export const ACTION_GET = 2;

export const NUMERIC_SETTINGS = {
  maxCurrent: CMD.maxCurrent,
  offlineCharge: CMD.offlineCharge,
  language: CMD.language,
  temperatureUnit: CMD.temperatureUnit,
} as const;
export type NumericSetting = keyof typeof NUMERIC_SETTINGS;

const SETTING_OF = new Map<number, NumericSetting>([
  [CMD.maxCurrent, "maxCurrent"],
  [CMD.offlineCharge, "offlineCharge"],
  [CMD.language, "language"],
  [CMD.temperatureUnit, "temperatureUnit"],
]);

export function settingOf(command: number): NumericSetting | undefined {
  return SETTING_OF.get(command);
}

export const GUN_STATES: Record<number, string> = { 1: "disconnected", 2: "connected_unlocked", 3: "negotiating", 4: "connected_locked" };
export const OUTPUT_STATES: Record<number, string> = { 1: "charging", 2: "idle" };
export const CURRENT_STATES: Record<number, string> = {
  1: "evse_fault",
  2: "charging_fault",
  3: "charging_fault",
  10: "waiting_for_swipe",
  11: "waiting_for_button",
  12: "not_connected",
  13: "ready_to_charge",
  14: "charging",
  15: "completed",
  17: "completed_full",
  18: "stopped_by_ev",
  20: "reserved",
};
export const STATE_CHARGING = 14;
export const STATE_RESERVED = 20;

export const ERROR_BITS: Record<number, string> = {
  0: "relay_stuck_l1",
  1: "relay_stuck_l2",
  2: "relay_stuck_l3",
  3: "offline",
  4: "cc_error",
  5: "cp_error",
  6: "emergency_stop",
  7: "over_temperature_inner",
  8: "over_temperature_outer",
  9: "unknown_9",
  10: "leakage_protection",
  11: "short_circuit",
  12: "over_current",
  13: "ungrounded",
  14: "over_voltage",
  15: "under_voltage",
  25: "input_power_error",
  26: "mains_overload",
  27: "diode_short_circuit",
  28: "rtc_failure",
  29: "flash_failure",
  30: "eeprom_failure",
  31: "metering_failure",
};

/** emproto's bit order (LSB = code 0); provisional per G1. */
export function decodeErrors(bits: number): { codes: number[]; names: string[] } {
  const codes: number[] = [];
  for (let i = 0; i < 32; i++) if ((bits >>> i) & 1) codes.push(i);
  return { codes, names: codes.map((c) => ERROR_BITS[c] ?? `unassigned_${c}`) };
}

export const START_ERRORS: Record<number, string> = {
  1: "car not plugged in",
  2: "system error",
  3: "already charging",
  4: "system maintenance",
  5: "wrong fee setting",
  6: "wrong power/energy setting",
  7: "wrong time setting",
  8: "unknown error 8",
  20: "a reservation is already active",
};

export const RESERVATION_RESULTS: Record<number, string> = {
  0: "immediate",
  1: "reservation accepted",
  2: "reservations not supported",
  3: "reservation too far ahead (more than 24 h)",
  4: "time in the past, started now",
  5: "system error",
  6: "a reservation already exists",
  7: "already charging",
  8: "wrong fee",
  9: "wrong power",
  10: "wrong time",
};

export const STOP_REASONS: Record<number, string> = {
  0: "reservation_cancelled",
  1: "reservation_time_reached",
  11: "app",
  12: "card",
  13: "full",
  14: "fee_limit",
  15: "energy_limit",
  16: "time_limit",
  17: "plug_pulled",
  18: "power_failure",
  19: "over_current",
  20: "short_circuit",
  21: "board_over_temperature",
  22: "plug_over_temperature",
  23: "emergency_stop",
  24: "button",
  30: "max_48h",
  31: "max_400kwh",
  32: "max_cost",
};

export const LANGUAGES = ["english", "italian", "german", "french", "spanish", "hebrew", "polish", "chinese"] as const;
export type Language = (typeof LANGUAGES)[number];
export function languageName(code: number): string {
  return LANGUAGES[code - 1] ?? `unknown_${code}`;
}

export const TEMPERATURE_UNITS: Record<number, string> = { 1: "celsius", 2: "fahrenheit" };
/** 0 = charging without the app allowed; 1 and 2 were both seen when disabled (G12). */
export function offlineChargeEnabled(v: number): boolean {
  return v === 0;
}

const THREE_PHASE_TYPES = new Set([10, 11, 12, 13, 14, 15, 22, 23, 24, 25]);
export function phasesOf(deviceType: number): 1 | 3 {
  return THREE_PHASE_TYPES.has(deviceType) ? 3 : 1;
}
/** Forced single phase on a three-phase unit (§5.1, §8, emproto4go). */
export function canForceSinglePhase(deviceType: number, extra: number | null): boolean {
  return deviceType >= 22 && deviceType <= 25 && extra !== null && extra < 11;
}

export function nameOf(table: Record<number, string>, v: number): string {
  return table[v] ?? `unknown_${v}`;
}
