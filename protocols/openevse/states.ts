// The controller's data model (spec §7) and how a bridge shows it: names, IEC 61851 letters,
// normalized statuses, the gateway's LCD colour.

import type { ChargerStatus, IecState } from "../../lib/normalized.ts";

export const EVSE_STATE = {
  starting: 0,
  notConnected: 1,
  connected: 2,
  charging: 3,
  ventRequired: 4,
  diodeCheckFailed: 5,
  gfciFault: 6,
  noGround: 7,
  stuckRelay: 8,
  gfiSelfTestFailed: 9,
  overTemperature: 10,
  overCurrent: 11,
  pilotError: 12,
  temperatureSensorFault: 13,
  relayClosureFault: 14,
  ppShorted: 15,
  ppMissing: 16,
  eepromFailure: 17,
  sleeping: 254,
  disabled: 255,
} as const;

const STATE_TEXT: Record<number, string> = {
  0: "starting",
  1: "not connected",
  2: "EV connected",
  3: "charging",
  4: "vent required",
  5: "diode check failed",
  6: "GFCI fault",
  7: "no ground",
  8: "stuck relay",
  9: "GFI self-test failed",
  10: "over temperature",
  11: "over current",
  12: "pilot error",
  13: "temperature sensor fault",
  14: "relay closure fault",
  15: "PP pin shorted",
  16: "PP resistor missing",
  17: "EEPROM failure",
  254: "sleeping",
  255: "disabled",
};

/** Old ESP8266 firmware read decimal 254 as hex and published 596 (§7.1). */
export const LEGACY_SLEEPING_ALIAS = 0x254;

export function normalizeStateNumber(state: number): number {
  return state === LEGACY_SLEEPING_ALIAS ? EVSE_STATE.sleeping : state;
}

export function stateText(state: number): string {
  return STATE_TEXT[normalizeStateNumber(state)] ?? `unknown state ${state}`;
}

/** 4–17: the controller's own faults (4–14) plus the D9 ones; we do not copy the gateway's narrower 4–11 test (§7.1). */
export function isErrorState(state: number): boolean {
  return state >= 4 && state <= 17;
}

export function isActiveState(state: number): boolean {
  return state >= 1 && state <= 3;
}

export function isDisabledState(state: number): boolean {
  const s = normalizeStateNumber(state);
  return s === EVSE_STATE.sleeping || s === EVSE_STATE.disabled;
}

/** Volatile flags, `$GS`/`$AT` field 4 (§7.3, mainline 8.2.x meanings). */
export const VFLAG = {
  autoServiceLevelSkipped: 0x0001,
  hardFault: 0x0002,
  limitSleep: 0x0004,
  authLocked: 0x0008,
  timeLimit: 0x0010,
  noGroundTripped: 0x0020,
  relayClosed: 0x0040,
  gfiTripped: 0x0080,
  evConnected: 0x0100,
  sessionEnded: 0x0200,
  evConnectedPrevious: 0x0400,
  uiInMenu: 0x0800,
  delayTimer: 0x1000,
  chargeLimit: 0x2000,
  bootLocked: 0x4000,
  mennekesManual: 0x8000,
} as const;

/** The vflag bits whose change makes the controller send `$AT` (§6). */
export const VFLAG_AT_RELEVANT = VFLAG.authLocked | VFLAG.evConnected | VFLAG.timeLimit | VFLAG.chargeLimit | VFLAG.hardFault;

/** Settings flags, `$GE` field 2 (§7.2). */
export const SETTING = {
  serviceLevel2: 0x0001,
  diodeCheckDisabled: 0x0002,
  ventCheckDisabled: 0x0004,
  groundCheckDisabled: 0x0008,
  stuckRelayCheckDisabled: 0x0010,
  autoServiceLevelDisabled: 0x0020,
  autoStartDisabled: 0x0040,
  serialDebug: 0x0080,
  monoLcd: 0x0100,
  gfiSelfTestDisabled: 0x0200,
  temperatureCheckDisabled: 0x0400,
  continuousGroundMonitoring: 0x1000,
  buttonDisabled: 0x8000,
} as const;

/** Bits that mean something else on D9 controllers (RAPI ≥ 6.0.0). */
export const SETTING_D9 = {
  ppAutoAmpacity: 0x0040,
  overCurrentCheckDisabled: 0x0400,
  zeroCrossDisabled: 0x0800,
  bootLockDisabled: 0x2000,
} as const;

/** D9 relay-enable flags (`$GR`/`$SR`, §7.4). */
export const RELAY = { dc1: 1, dc2: 2, ac: 3 } as const;

/** Names of the set bits of `bits` per `table`; unknown bits as `0x…`. */
export function flagNames(bits: number, table: Readonly<Record<string, number>>): string[] {
  const names: string[] = [];
  let rest = bits;
  for (const [name, bit] of Object.entries(table)) {
    if (bits & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  for (let bit = 1; bit <= 0x8000; bit <<= 1) if (rest & bit) names.push(`0x${bit.toString(16).padStart(4, "0")}`);
  return names;
}

// On D9, 0x0040 is PP auto-ampacity instead of manual start; 0x0400 keeps both meanings (shared bit).
const SETTING_TABLE_D9: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Object.entries(SETTING).filter(([, bit]) => bit !== SETTING.autoStartDisabled)),
  ...SETTING_D9,
};

/** Settings flag names for a controller; D9 redefines four bits. */
export function settingNames(bits: number, d9: boolean): string[] {
  return flagNames(bits, d9 ? SETTING_TABLE_D9 : SETTING);
}

const PILOT_LETTER: Record<number, IecState> = { 1: "A", 2: "B", 3: "C", 4: "D" };

/**
 * IEC 61851 letter, only where the data says it: 255 drives the pilot to −12 V (F); otherwise the
 * controller's pilot reading 1–4 (A–D), or the state itself when no pilot reading is at hand.
 * Faults give null: the pilot in a fault is undocumented (§14 item 4), and calling it E would be a guess.
 */
export function iecLetter(state: number | null, pilot: number | null = null): IecState | null {
  if (state === null) return null;
  const s = normalizeStateNumber(state);
  if (s === EVSE_STATE.disabled) return "F";
  if (s === EVSE_STATE.starting || (isErrorState(s) && s !== EVSE_STATE.ventRequired)) return null;
  if (pilot !== null) return PILOT_LETTER[pilot] ?? null;
  if (s === EVSE_STATE.ventRequired) return "D";
  return PILOT_LETTER[s] ?? null;
}

/**
 * The normalized status. Sleeping with a car attached is the EVSE holding a session back
 * (`suspended`, like OCPP SuspendedEVSE); sleeping or disabled without one is `disabled`.
 */
export function normalizedStatus(state: number | null, vflags: number | null, linkUp: boolean): ChargerStatus {
  if (!linkUp) return "offline";
  if (state === null) return "unknown";
  const s = normalizeStateNumber(state);
  if (s === EVSE_STATE.notConnected) return "available";
  if (s === EVSE_STATE.connected) return "connected";
  if (s === EVSE_STATE.charging) return "charging";
  if (isErrorState(s)) return "error";
  if (s === EVSE_STATE.sleeping) return vflags !== null && vflags & VFLAG.evConnected ? "suspended" : "disabled";
  if (s === EVSE_STATE.disabled) return "disabled";
  return "unknown";
}

/** Gateway `colour` topic: LCD colour 0–7 (§10.2). Errors 4–17 are red, not only the gateway's 4–11. */
export function lcdColour(state: number, vehicleConnected: boolean): number {
  const s = normalizeStateNumber(state);
  if (s === EVSE_STATE.notConnected) return 2;
  if (s === EVSE_STATE.connected) return 3;
  if (s === EVSE_STATE.charging) return 6;
  if (isErrorState(s)) return 1;
  if (isDisabledState(s)) return vehicleConnected ? 6 : 5;
  return 0;
}
