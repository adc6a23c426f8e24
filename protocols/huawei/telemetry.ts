// The EVerest module's MQTT telemetry (spec §10), payload for payload, as pure functions of state.
// Differences on purpose: values read from float32 registers are shown with the shortest decimal
// that is the same float32 (227.7, not 227.6999969482422), and unit conversions are rounded to 15
// significant digits (0.03 Wh, not 0.030000000000000006). Keys are in alphabetical order as
// nlohmann's JSON writes them.
import type { DispenserAlarmField } from "./alarms.ts";
import type { LocalConnector } from "./register-map.ts";
import type { RegisterStore } from "./registers.ts";

export type BspEvent = "A" | "B" | "C" | "D" | "E" | "F" | "PowerOn" | "PowerOff" | "Disconnected";

/** Shortest decimal that reads back as the same float32; non-finite values become null. */
export function cleanF32(x: number): number | null {
  if (!Number.isFinite(x)) return null;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === Math.fround(x)) return y === 0 ? 0 : y;
  }
  return x;
}

/** `x × factor` without binary noise in the last digits. */
export function scaled(x: number | null, factor: number): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const y = Number((x * factor).toPrecision(15));
  return y === 0 ? 0 : y;
}

function finite(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}

const RUNNING_MODES = ["STARTING_UP", "RUNNING", "FAULTY", "SLEEPING", "UPGRADING"] as const;

export function runningModeName(v: number): string {
  return RUNNING_MODES[v] ?? "UNKNOWN";
}

export function portAvailabilityName(v: number): string {
  return v === 0 ? "NOT_AVAILABLE" : v === 1 ? "AVAILABLE" : "UNKNOWN";
}

/** `<prefix>/<sub-topic>`, or null when telemetry is off (empty prefix). */
export function telemetryTopic(prefix: string, subTopic: string): string | null {
  return prefix === "" ? null : `${prefix}/${subTopic}`;
}

export const SUBTOPIC = {
  connector: (global: number) => `connector/${global}`,
  dispenserToPsu: (global: number) => `connector/${global}/dispenser_to_psu`,
  psu: "psu",
  alarms: "dispenser/published_alarms",
} as const;

/** PSU registers whose every write republishes `psu` (spec §10: on every write, not on change). */
export const PSU_TELEMETRY_REGISTERS = ["acVoltageA", "acVoltageB", "acVoltageC", "acCurrentA", "acCurrentB", "acCurrentC", "runningMode", "totalInputEnergyKwh"] as const;
/** Per-connector registers whose every write republishes `connector/<n>`. */
export const CONNECTOR_TELEMETRY_REGISTERS = ["maxCurrent", "minCurrent", "maxVoltage", "minVoltage", "psuRatedPowerKw", "portAvailability"] as const;

export interface PsuPayload {
  ac_input_current_a: number | null;
  ac_input_current_b: number | null;
  ac_input_current_c: number | null;
  ac_input_voltage_a: number | null;
  ac_input_voltage_b: number | null;
  ac_input_voltage_c: number | null;
  psu_running_mode: string | null;
  total_historic_input_energy: number | null;
}

export function psuPayload(s: RegisterStore): PsuPayload {
  const f = (n: (typeof PSU_TELEMETRY_REGISTERS)[number]) => (s.unitKnown(n) ? cleanF32(s.unit(n)) : null);
  return {
    ac_input_current_a: f("acCurrentA"),
    ac_input_current_b: f("acCurrentB"),
    ac_input_current_c: f("acCurrentC"),
    ac_input_voltage_a: f("acVoltageA"),
    ac_input_voltage_b: f("acVoltageB"),
    ac_input_voltage_c: f("acVoltageC"),
    psu_running_mode: s.unitKnown("runningMode") ? runningModeName(s.unit("runningMode")) : null,
    total_historic_input_energy: s.unitKnown("totalInputEnergyKwh") ? scaled(s.unit("totalInputEnergyKwh"), 1000) : null,
  };
}

export interface ConnectorPayload {
  max_rated_psu_current: number | null;
  max_rated_psu_voltage: number | null;
  min_rated_psu_current: number | null;
  min_rated_psu_voltage: number | null;
  psu_port_available: string | null;
  rated_output_power_psu: number | null;
}

export function connectorPayload(s: RegisterStore, c: LocalConnector): ConnectorPayload {
  const f = (n: "maxCurrent" | "maxVoltage" | "minCurrent" | "minVoltage" | "psuRatedPowerKw") =>
    s.connectorKnown(c, n) ? cleanF32(s.connector(c, n)) : null;
  return {
    max_rated_psu_current: f("maxCurrent"),
    max_rated_psu_voltage: f("maxVoltage"),
    min_rated_psu_current: f("minCurrent"),
    min_rated_psu_voltage: f("minVoltage"),
    psu_port_available: s.connectorKnown(c, "portAvailability") ? portAvailabilityName(s.connector(c, "portAvailability")) : null,
    rated_output_power_psu: scaled(f("psuRatedPowerKw"), 1000),
  };
}

/** What the dispenser side knows about one connector; null until first received or sent. */
export interface DispenserToPsuState {
  bspEvent: BspEvent | null;
  contactorFault: boolean;
  everestMode: string | null;
  everestPhase: string | null;
  exportCurrent: number | null;
  exportVoltage: number | null;
  outputCurrent: number | null;
  outputVoltage: number | null;
  upstreamVoltage: number | null;
}

export const INITIAL_DISPENSER_TO_PSU: DispenserToPsuState = {
  bspEvent: null,
  contactorFault: false,
  everestMode: null,
  everestPhase: null,
  exportCurrent: null,
  exportVoltage: null,
  outputCurrent: null,
  outputVoltage: null,
  upstreamVoltage: null,
};

export interface DispenserToPsuPayload {
  bsp_event: string | null;
  dc_output_contactor_fault_alarm: boolean;
  everest_mode: string | null;
  everest_phase: string | null;
  export_current: number | null;
  export_voltage: number | null;
  output_current: number | null;
  output_voltage: number | null;
  upstream_voltage: number | null;
}

export function dispenserToPsuPayload(s: DispenserToPsuState): DispenserToPsuPayload {
  return {
    bsp_event: s.bspEvent,
    dc_output_contactor_fault_alarm: s.contactorFault,
    everest_mode: s.everestMode,
    everest_phase: s.everestPhase,
    export_current: finite(s.exportCurrent),
    export_voltage: finite(s.exportVoltage),
    output_current: finite(s.outputCurrent),
    output_voltage: finite(s.outputVoltage),
    upstream_voltage: finite(s.upstreamVoltage),
  };
}

export type AlarmsPayload = Record<DispenserAlarmField, boolean>;

export function alarmsPayload(a: AlarmsPayload): AlarmsPayload {
  return { door_status_alarm: a.door_status_alarm, epo_alarm: a.epo_alarm, tilt_alarm: a.tilt_alarm, water_alarm: a.water_alarm };
}

/** The PSU mock's MQTT output (spec §11, §12.4): topic and six-decimal payload, for the simulator. */
export function mockPowerRequest(baseTopic: string, globalConnector: number, voltage: number, current: number): { topic: string; payload: string } {
  const base = baseTopic.endsWith("/") ? baseTopic : `${baseTopic}/`;
  return { topic: `${base}${globalConnector}/power_request`, payload: `{"voltage": ${voltage.toFixed(6)}, "current": ${current.toFixed(6)}}` };
}
