// The controller view → the normalized layout (SI units, unit in the key) and the gateway status
// the compatible layout is drawn from. Pure.
import type { NormalizedState } from "../../lib/normalized.ts";
import type { Target } from "./claims.ts";
import type { GatewayStatus } from "./gateway-topics.ts";
import { EVSE_STATE, flagNames, iecLetter, isDisabledState, isErrorState, normalizedStatus, settingNames, stateText, VFLAG } from "./states.ts";
import { elapsedNow, type ControllerView } from "./view.ts";

/** What the device adds to the view: its own bookkeeping and the claims' target. */
export interface DeviceFacts {
  /** Effective voltage per phase (§9.4). */
  voltageV: number;
  threePhase: boolean;
  /** Session energy from our own integration, used when the controller has no `$GU`. */
  integratedWh: number;
  target: Target;
  divertMode: 1 | 2;
  manualOverride: boolean;
  answering: boolean;
  tempMax: number | null;
  totalSwitches: number;
  limitSet: boolean;
  now: number;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Charge current, A: measured while charging, 0 otherwise (§9.4); null when charging without an ammeter. */
export function chargeCurrentA(v: ControllerView): number | null {
  if (v.state !== EVSE_STATE.charging) return 0;
  return v.currentMa === null ? null : v.currentMa / 1000;
}

export function sessionWh(v: ControllerView, f: Pick<DeviceFacts, "integratedWh">): number {
  return v.sessionWs !== null ? v.sessionWs / 3600 : f.integratedWh;
}

export function normalizeView(v: ControllerView, f: DeviceFacts): Partial<NormalizedState> {
  const amps = chargeCurrentA(v);
  const phases = f.threePhase ? 3 : 1;
  const perPhase = <T>(x: T): (T | null)[] => (f.threePhase ? [x, x, x] : [x, null, null]);
  const { ds3231, mcp9808, tmp007 } = v.temperatures;
  const temp = ds3231 ?? mcp9808 ?? tmp007;
  const errors: string[] = [];
  if (v.state !== null && isErrorState(v.state)) errors.push(stateText(v.state));
  if (v.vflags !== null && v.vflags & VFLAG.hardFault) errors.push("hard fault (power-cycle the controller)");
  return {
    status: normalizedStatus(v.state, v.vflags, true),
    iec_state: iecLetter(v.state, v.pilotState),
    enabled: v.state === null || v.state === EVSE_STATE.starting ? null : !isDisabledState(v.state),
    current_limit_a: v.pilotA,
    power_w: amps === null ? null : round(amps * f.voltageV * phases),
    energy_session_wh: round(sessionWh(v, f)),
    energy_total_wh: v.totalWh,
    voltage_v: perPhase(f.voltageV),
    current_a: perPhase(amps === null ? null : round(amps, 3)),
    temperature_c: temp === null ? null : temp / 10,
    errors,
    raw: {
      evse_state: v.state,
      evse_state_text: v.state === null ? null : stateText(v.state),
      pilot_state: v.pilotState,
      vflags: v.vflags,
      vflag_names: v.vflags === null ? [] : flagNames(v.vflags, VFLAG),
      pilot_a: v.pilotA,
      min_current_a: v.minA,
      max_current_a: v.maxA,
      target: { state: f.target.state, current_a: f.target.chargeCurrentA, winners: f.target.winners },
      divert_mode: f.divertMode,
    },
  };
}

/** The detail document `<base>/<id>/openevse`: what the gateway keeps out of its MQTT topics (§14.16). */
export function detailDocument(v: ControllerView, extra: Record<string, unknown>): string {
  return JSON.stringify({
    firmware: v.firmware,
    rapi: v.protocol,
    mcu_id: v.mcuId,
    settings: v.settings,
    setting_names: v.settings === null ? [] : settingNames(v.settings, v.features?.d9 ?? false),
    hardware_max_current_a: v.hwMaxA,
    fault_counters: v.faults && { gfi: v.faults.gfi, no_ground: v.faults.noGround, stuck_relay: v.faults.stuckRelay },
    heartbeat: v.heartbeat && { interval_s: v.heartbeat.intervalS, current_a: v.heartbeat.currentA, trigger: v.heartbeat.trigger },
    frequency_hz: v.frequencyCentiHz === null ? null : v.frequencyCentiHz / 100,
    ...extra,
  });
}

/** The compatible layout's status (§10.2). */
export function gatewayStatus(v: ControllerView, f: DeviceFacts): GatewayStatus {
  const wh = sessionWh(v, f);
  return {
    state: v.state,
    vflags: v.vflags,
    pilotA: v.pilotA,
    maxCurrentA: v.maxA,
    currentMa: v.currentMa,
    voltageV: f.voltageV,
    threePhase: f.threePhase,
    temperatures: v.temperatures,
    tempMax: f.tempMax,
    status: f.target.state,
    divertMode: f.divertMode,
    manualOverride: f.manualOverride,
    evseConnected: f.answering,
    sessionElapsedS: elapsedNow(v, f.now),
    sessionEnergyWh: round(wh, 2),
    totalEnergyWh: v.totalWh ?? 0,
    totals: { day: null, week: null, month: null, year: null },
    totalSwitches: f.totalSwitches,
    frequencyCentiHz: v.frequencyCentiHz,
    limitSet: f.limitSet,
  };
}
