// What the bridge publishes about one charger: the meta state (§7), the normalized state and the
// retained `<base>/<id>/evsemaster` detail document.

import type { ChargerStatus, NormalizedState } from "../../lib/normalized.ts";
import type { ChargeRecord } from "./app-payloads.ts";
import type { EvseMessage } from "./codec.ts";
import { emToDate } from "./emtime.ts";
import {
  canForceSinglePhase, CURRENT_STATES, decodeErrors, GUN_STATES, languageName, nameOf, offlineChargeEnabled, OUTPUT_STATES, phasesOf,
  STATE_CHARGING, STATE_RESERVED, STOP_REASONS, TEMPERATURE_UNITS,
} from "./enums.ts";
import { computedPowerW, type LoginInfo, type SessionData, type StatusData, type VersionInfo } from "./evse-payloads.ts";

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

/**
 * Files what a datagram tells about the charger. Answers count whenever they arrive, solicited or
 * not (§5.10); the returned key tells which waiting command, if any, this answers.
 */
export function storeInView(v: ChargerView, m: EvseMessage): { key: string; value: unknown; action?: number } | undefined {
  switch (m.type) {
    case "beacon":
    case "loginResponse":
      v.info = m.info;
      return undefined;
    case "status":
      v.status = m.status;
      return { key: "status", value: m.status };
    case "session":
      v.session = m.session;
      return undefined;
    case "chargeRecord":
      v.record = m.record;
      return undefined;
    case "chargeStartResponse":
      return { key: "start", value: m.result };
    case "chargeStopResponse":
      return { key: "stop", value: m.result };
    case "setting":
      v.config[m.setting === "maxCurrent" ? "maxCurrentA" : m.setting] = m.value;
      return { key: m.setting, value: m.value, action: m.action };
    case "name":
      v.config.name = m.name;
      return { key: "name", value: m.name, action: m.action };
    case "version":
      v.version = m.version;
      return { key: "version", value: m.version };
    case "systemTime":
      return { key: "systemTime", value: m.time };
    default:
      return undefined;
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
  };
}

function iso(em: number, tz: string): string | null {
  return emToDate(em, tz)?.toISOString() ?? null;
}

function sessionDetail(x: SessionData, tz: string): Record<string, unknown> {
  return {
    state: x.currentState,
    state_name: nameOf(CURRENT_STATES, x.currentState),
    charge_id: x.chargeId,
    user_id: x.userId,
    charge_type: x.chargeType,
    max_current_a: x.maxCurrentA,
    max_duration_minutes: x.maxDurationMin,
    max_energy_kwh: x.maxEnergyKwh,
    reservation_at: iso(x.reservationTime, tz),
    started_at: iso(x.startTime, tz),
    duration_s: x.durationS,
    energy_start_kwh: x.energyStartKwh,
    energy_now_kwh: x.energyNowKwh,
    energy_kwh: x.chargedKwh,
    price: x.price,
    fee_type: x.feeType,
    fee: x.fee,
  };
}

function recordDetail(r: ChargeRecord, tz: string): Record<string, unknown> {
  return {
    charge_id: r.chargeId,
    start_user_id: r.startUserId,
    end_user_id: r.endUserId,
    reservation: r.hasReservation,
    stop_reason: r.stopReason,
    stop_reason_name: nameOf(STOP_REASONS, r.stopReason),
    reservation_at: iso(r.reservationTime, tz),
    started_at: iso(r.startTime, tz),
    stopped_at: iso(r.stopTime, tz),
    duration_s: r.chargedS,
    energy_kwh: r.chargedKwh,
    price: r.price,
  };
}

/** The retained detail document; passwords never appear here. */
export function detail(v: ChargerView): Record<string, unknown> {
  const i = v.info;
  const s = v.status;
  const c = v.config;
  const errs = s ? decodeErrors(s.errors) : null;
  return {
    serial: v.serial,
    meta_state: metaState(v),
    logged_in: v.loggedIn,
    login_error: v.loginError,
    password_configured: v.hasPassword,
    disabled: v.disabled,
    endpoint: v.endpoint,
    foreign_datagrams_dropped: v.foreignDropped,
    info: i && {
      brand: i.brand,
      model: i.model,
      device_type: i.deviceType,
      phases: phasesOf(i.deviceType),
      can_force_single_phase: canForceSinglePhase(i.deviceType, i.extra),
      hardware_version: v.version?.hardwareVersion ?? i.hardwareVersion,
      software_version: v.version?.softwareVersion ?? null,
      max_power_w: i.maxPowerW,
      max_current_a: i.maxCurrentA,
      hotline: i.hotline,
    },
    config: {
      name: c.name,
      max_current_a: c.maxCurrentA,
      language: c.language === null ? null : languageName(c.language),
      temperature_unit: c.temperatureUnit === null ? null : nameOf(TEMPERATURE_UNITS, c.temperatureUnit),
      offline_charge: c.offlineCharge === null ? null : offlineChargeEnabled(c.offlineCharge),
      offline_charge_raw: c.offlineCharge,
      fetched_at: c.fetchedAt,
    },
    state: s && {
      current_state: s.currentState,
      current_state_name: nameOf(CURRENT_STATES, s.currentState),
      gun_state: s.gunState,
      gun_state_name: nameOf(GUN_STATES, s.gunState),
      output_state: s.outputState,
      output_state_name: nameOf(OUTPUT_STATES, s.outputState),
      extended_state: s.extendedState,
      emergency_button_raw: s.emergency,
      power_w_reported: s.powerW,
      power_w: computedPowerW(s),
      energy_counter_kwh: s.energyKwh,
      temperature_inner_c: s.innerTempC,
      temperature_outer_c: s.outerTempC,
    },
    errors: errs && {
      raw: `0x${(s!.errors >>> 0).toString(16).padStart(8, "0")}`,
      bits: errs.codes,
      decoded: errs.names,
      // Bit order is disputed (spec G1): LSB = code 0 as emproto does.
      provisional: true,
    },
    session: v.session && sessionDetail(v.session, v.timeZone),
    last_record: v.record && recordDetail(v.record, v.timeZone),
  };
}
