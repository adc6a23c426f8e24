// 1.6 connector status → the normalized status, `enabled` and the IEC 61851 state letter.
import type { ChargerStatus, IecState, NormalizedState } from "../../lib/normalized.ts";

export function mapStatus(s: string): ChargerStatus {
  switch (s) {
    case "Available":
    case "Reserved":
      return "available";
    case "Preparing":
    case "Finishing":
      return "connected";
    case "Charging":
      return "charging";
    case "SuspendedEV":
    case "SuspendedEVSE":
      return "suspended";
    case "Unavailable":
      return "disabled";
    case "Faulted":
      return "error";
    default:
      return "unknown";
  }
}

/**
 * The pilot state a status implies, where one honestly follows: no car (A), a car that is not
 * drawing (B), a car drawing current (C), an EVSE fault (F). Charging counts as C unless the latest
 * meter reading shows nothing flowing (then the car is connected but idle: B). Unavailable and
 * Reserved say nothing about a car: null.
 */
export function iecState(status: string, flowing: boolean | undefined): IecState | null {
  switch (status) {
    case "Available":
      return "A";
    case "Preparing":
    case "Finishing":
    case "SuspendedEV":
    case "SuspendedEVSE":
      return "B";
    case "Charging":
      return flowing === false ? "B" : "C";
    case "Faulted":
      return "F";
    default:
      return null;
  }
}

/** Statuses of connector 0 that speak for the whole charger. */
export const WHOLE_CHARGER = new Set(["Faulted", "Unavailable"]);

/**
 * `enabled` says what the charger does, not what was asked: false when the connector (or the whole
 * charger) is Unavailable, or when a disable's energy stop is confirmed and still holds.
 */
export function statusFields(s: string, errors: string[], stopHolds: boolean, flowing: boolean | undefined): Partial<NormalizedState> {
  const out: Partial<NormalizedState> = { status: mapStatus(s), errors, iec_state: iecState(s, flowing) };
  if (s === "Unavailable" || stopHolds) out.enabled = false;
  else if (s !== "Faulted" && s !== "") out.enabled = true;
  // As ocpp2mqtt (C2): no flow outside Charging, so stale power readings do not linger.
  if (s !== "Charging") {
    out.power_w = 0;
    out.current_a = [0, null, null];
  }
  return out;
}
