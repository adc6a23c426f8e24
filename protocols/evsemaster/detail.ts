// The retained `<base>/<id>/evsemaster` detail document: everything the protocol tells, in its own
// terms. Passwords never appear here.

import type { ChargeRecord } from "./app-payloads.ts";
import { emToDate } from "./emtime.ts";
import {
  canForceSinglePhase, CURRENT_STATES, decodeErrors, GUN_STATES, languageName, nameOf, offlineChargeEnabled, OUTPUT_STATES, phasesOf,
  STOP_REASONS, TEMPERATURE_UNITS,
} from "./enums.ts";
import { computedPowerW, type SessionData } from "./evse-payloads.ts";
import { type ChargerView, metaState } from "./view.ts";

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

export function detail(v: ChargerView): Record<string, unknown> {
  const i = v.info;
  const s = v.status;
  const c = v.config;
  const errs = s ? { raw: s.errors, ...decodeErrors(s.errors) } : null;
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
      raw: `0x${(errs.raw >>> 0).toString(16).padStart(8, "0")}`,
      bits: errs.codes,
      decoded: errs.names,
      // Bit order is disputed (spec G1): LSB = code 0 as emproto does.
      provisional: true,
    },
    session: v.session && sessionDetail(v.session, v.timeZone),
    last_record: v.record && recordDetail(v.record, v.timeZone),
  };
}
