// The normalized state of one EVSEMaster charger (DESIGN.md "Normalized layout"), with the
// IEC 61851 pilot state where the charger's own state tells it honestly.

import type { ChargerStatus, IecState, NormalizedState } from "../../lib/normalized.ts";
import { decodeErrors, STATE_CHARGING } from "./enums.ts";
import { computedPowerW, type StatusData } from "./evse-payloads.ts";
import { type ChargerView, metaState, type MetaState, sessionActive } from "./view.ts";

function normalizedStatus(v: ChargerView, meta: MetaState): ChargerStatus {
  switch (meta) {
    case "OFFLINE": return "offline";
    case "NOT_LOGGED_IN": return "unknown";
    case "ERROR": return "error";
    case "CHARGING": return "charging";
    case "IDLE": return v.status ? "available" : "unknown";
    case "PLUGGED_IN":
      // Started but no energy flowing yet (car not drawing, §6.3 state 14 with gun 2).
      return v.status?.currentState === STATE_CHARGING ? "suspended" : "connected";
  }
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

export function normalized(v: ChargerView): Partial<NormalizedState> {
  const meta = metaState(v);
  const s = v.loggedIn ? v.status : null;
  const session = v.loggedIn ? v.session : null;
  return {
    status: normalizedStatus(v, meta),
    enabled: v.loggedIn ? sessionActive(v) : null,
    current_limit_a: v.config.maxCurrentA,
    power_w: s ? computedPowerW(s) : null,
    energy_session_wh: session ? Math.round(session.chargedKwh * 1000) : null,
    energy_total_wh: s ? Math.round(s.energyKwh * 1000) : null,
    voltage_v: s ? s.voltageV.map((x) => (x === null ? null : round(x, 1))) : [null, null, null],
    current_a: s ? s.currentA.map((x) => (x === null ? null : round(x, 2))) : [null, null, null],
    temperature_c: s?.innerTempC ?? null,
    errors: s ? decodeErrors(s.errors).names : [],
    iec_state: s ? iecState(s) : null,
  };
}

/** Error code 5 (§6.4): the control pilot itself is faulty, IEC 61851 state E. */
const CP_ERROR = 1 << 5;
const GUN_DISCONNECTED = 1;
const GUN_CONNECTED = 2;
const GUN_LOCKED = 4;
const OUTPUT_ON = 1;

/**
 * The IEC 61851 pilot state, where the charger's state gives an honest letter: no plug A, plugged
 * B, output on C (the protocol cannot tell C from D, ventilation; no car asks for D), a pilot
 * error E, any other error F (the station refuses to charge). The plug states nobody decoded
 * (gunState 0, 3, 5+) give null, as does a charger without a session (no status to read).
 */
export function iecState(s: StatusData): IecState | null {
  if (s.errors !== 0) return (s.errors & CP_ERROR) !== 0 ? "E" : "F";
  if (s.gunState === GUN_DISCONNECTED) return "A";
  if (s.gunState === GUN_CONNECTED || s.gunState === GUN_LOCKED) return s.outputState === OUTPUT_ON ? "C" : "B";
  return null;
}
