// One connector of a PSU link → the normalized state. The PSU measures nothing on the DC side: the
// output voltage and current are what the dispenser reports to it (registers 0x1107/0x1109, set by
// `set_measurements`), the PSU's own numbers (running mode, capabilities, errors) go into `errors`
// and `raw`.
import type { ChargerStatus, NormalizedState } from "../../lib/normalized.ts";
import { MODULE_ERROR } from "./alarms.ts";
import { PortAvailability, RunningMode } from "./register-map.ts";
import { cleanF32, portAvailabilityName, runningModeName, scaled } from "./telemetry.ts";
import type { PsuUnit, UnitConnector } from "./unit.ts";

function known(unit: PsuUnit, c: UnitConnector, name: "outputVoltage" | "outputCurrent" | "upstreamVoltage"): number | null {
  const d2p = name === "outputVoltage" ? c.d2p.outputVoltage : name === "outputCurrent" ? c.d2p.outputCurrent : c.d2p.upstreamVoltage;
  return d2p === null ? null : cleanF32(unit.store.connector(c.local, name));
}

function statusOf(unit: PsuUnit, c: UnitConnector): ChargerStatus {
  const mode = unit.runningMode;
  // PSU errors of §8.2 are warnings (the module raises VendorWarning): listed in `errors`, not a status.
  if (mode === RunningMode.faulty) return "error";
  if (unit.store.connectorKnown(c.local, "portAvailability") && unit.store.connector(c.local, "portAvailability") === PortAvailability.notAvailable) return "disabled";
  // Starting up, sleeping or upgrading: no charging now, but nothing is wrong either.
  if (mode !== undefined && mode !== RunningMode.running) return "unknown";
  // The start-up key fetch fakes a plugged car; no real car is there.
  if (c.keyFetch) return "available";
  switch (c.machine.state) {
    case "CarDisconnected":
      return "available";
    case "Running":
      return c.machine.modePhase === "ExportCharging" ? "charging" : "connected";
    default:
      return "connected";
  }
}

/** Human-readable problems: PSU errors (spec §8.2) and the module's own (not running, no capabilities, GOOSE). */
export function errorsOf(unit: PsuUnit, c: UnitConnector): string[] {
  const out = unit.psuErrors.list().map((e) => `${e.subType}: ${e.message}`);
  const mode = unit.runningMode;
  if (mode !== undefined && mode !== RunningMode.running) out.push(`${MODULE_ERROR.psuNotRunning.subType}: running mode ${runningModeName(mode)}`);
  if (unit.link === "ready" && !unit.capabilitiesKnown(c.local)) out.push(`${MODULE_ERROR.capabilitiesNotReceived.subType}: the PSU has not sent this connector's capabilities yet`);
  if (c.machine.allocationFailed) out.push(`${MODULE_ERROR.allocationFailed.subType}: no successful PowerRequestReply`);
  if (unit.goose.state === "unavailable") out.push(`GOOSE unavailable (${unit.goose.reason}): telemetry and alarms only, no power requests`);
  return out;
}

/** Protocol detail for `raw`: what the PSU and the connector machine say, in their own terms. */
export function detailOf(unit: PsuUnit, c: UnitConnector): Record<string, unknown> {
  const s = unit.store;
  const cap = (n: "maxVoltage" | "maxCurrent" | "minVoltage" | "minCurrent") => (s.connectorKnown(c.local, n) ? cleanF32(s.connector(c.local, n)) : null);
  const limits = unit.limits(c);
  return {
    global_connector_number: c.cfg.global_connector_number,
    link: unit.link,
    psu_running_mode: unit.runningMode === undefined ? null : runningModeName(unit.runningMode),
    psu_port_available: s.connectorKnown(c.local, "portAvailability") ? portAvailabilityName(s.connector(c.local, "portAvailability")) : null,
    capabilities: {
      max_voltage_v: cap("maxVoltage"),
      min_voltage_v: cap("minVoltage"),
      max_current_a: cap("maxCurrent"),
      min_current_a: cap("minCurrent"),
      rated_power_w: s.connectorKnown(c.local, "psuRatedPowerKw") ? scaled(cleanF32(s.connector(c.local, "psuRatedPowerKw")), 1000) : null,
    },
    limits: limits ? { max_current_a: cleanF32(limits.maxCurrent), max_power_w: limits.maxPowerW } : null,
    connector_state: c.machine.state,
    /** The start-up key fetch fakes a plugged car right now (spec §5.1). */
    key_fetch: c.keyFetch,
    working_status: s.connector(c.local, "workingStatus"),
    alarms: unit.alarms.dispenserAlarms(),
    contactor_fault: unit.alarms.contactorFault(c.local),
    upstream_voltage_v: known(unit, c, "upstreamVoltage"),
    goose: unit.goose.state,
  };
}

export function normalizedState(unit: PsuUnit, c: UnitConnector): Partial<NormalizedState> {
  const v = known(unit, c, "outputVoltage");
  const i = known(unit, c, "outputCurrent");
  const errors = errorsOf(unit, c);
  const exporting = unit.goose.state === "active" ? c.machine.everest.mode === "Export" : null;
  const setpoint = exporting ? c.machine.setpoint.current : null;
  return {
    status: statusOf(unit, c),
    enabled: exporting,
    current_limit_a: setpoint,
    power_w: v !== null && i !== null ? Math.round(v * i) : null,
    voltage_v: [v, null, null],
    current_a: [i, null, null],
    errors,
    raw: detailOf(unit, c),
  };
}
