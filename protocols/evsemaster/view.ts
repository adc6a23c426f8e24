// What the bridge knows about one charger, filled from its datagrams, and the meta state (§7)
// derived from it. The normalized state (normalize.ts) and the detail document (detail.ts) read it.

import type { ChargeRecord } from "./app-payloads.ts";
import type { EvseMessage } from "./codec.ts";
import { STATE_CHARGING, STATE_RESERVED } from "./enums.ts";
import type { LoginInfo, SessionData, StatusData, VersionInfo } from "./evse-payloads.ts";

export type MetaState = "OFFLINE" | "NOT_LOGGED_IN" | "IDLE" | "ERROR" | "CHARGING" | "PLUGGED_IN";

export interface DeviceConfig {
  name: string | null;
  maxCurrentA: number | null;
  language: number | null;
  temperatureUnit: number | null;
  offlineCharge: number | null;
  fetchedAt: string | null;
}

export interface ChargerView {
  serial: string;
  online: boolean;
  loggedIn: boolean;
  disabled: boolean;
  loginError: string | null;
  hasPassword: boolean;
  endpoint: string | null;
  /** Datagrams for this serial from another host while the session was bound to the charger's address. */
  foreignDropped: number;
  info: LoginInfo | null;
  version: VersionInfo | null;
  config: DeviceConfig;
  status: StatusData | null;
  session: SessionData | null;
  record: ChargeRecord | null;
  timeZone: string;
}

export function newView(serial: string, disabled: boolean, hasPassword: boolean, timeZone: string): ChargerView {
  return {
    serial, online: false, loggedIn: false, disabled, loginError: null, hasPassword, endpoint: null, foreignDropped: 0, info: null, version: null,
    config: { name: null, maxCurrentA: null, language: null, temperatureUnit: null, offlineCharge: null, fetchedAt: null },
    status: null, session: null, record: null, timeZone,
  };
}

/** Files what a datagram tells about the charger. Answers count whenever they arrive, solicited or not (§5.10). */
export function storeInView(v: ChargerView, m: EvseMessage): void {
  switch (m.type) {
    case "beacon":
    case "loginResponse":
      v.info = m.info;
      return;
    case "status":
      v.status = m.status;
      return;
    case "session":
      v.session = m.session;
      return;
    case "chargeRecord":
      v.record = m.record;
      return;
    case "setting":
      v.config[m.setting === "maxCurrent" ? "maxCurrentA" : m.setting] = m.value;
      return;
    case "name":
      v.config.name = m.name;
      return;
    case "version":
      v.version = m.version;
      return;
  }
}

/** §7, evaluated in order; "plugged in" is gunState > 1 as emproto4go and evcc do. */
export function metaState(v: ChargerView): MetaState {
  if (!v.online) return "OFFLINE";
  if (!v.loggedIn) return "NOT_LOGGED_IN";
  const s = v.status;
  if (!s) return "IDLE";
  if (s.errors !== 0) return "ERROR";
  if (s.outputState === 1) return "CHARGING";
  if (s.gunState > 1) return "PLUGGED_IN";
  return "IDLE";
}

/** A session is running or planned: what `enabled` reports. */
export function sessionActive(v: ChargerView): boolean | null {
  return v.status ? statusActive(v.status) : null;
}

/** Output on, charging, or a planned start that would switch it on later. */
export function statusActive(s: StatusData): boolean {
  return s.outputState === 1 || s.currentState === STATE_CHARGING || s.currentState === STATE_RESERVED;
}
