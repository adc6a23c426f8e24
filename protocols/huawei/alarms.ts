// Alarms both ways (spec §8): board-support errors → the alarm registers the PSU reads, and the
// PSU's error registers → errors the bridge publishes.
import type { ErrorRegisterDef, LocalConnector } from "./register-map.ts";
import type { RegisterStore } from "./registers.ts";

/** EVerest board-support errors the module maps (spec §8.1). */
export const BSP_ERROR = {
  enclosureOpen: "evse_board_support/EnclosureOpen",
  waterIngress: "evse_board_support/WaterIngressDetected",
  emergencyStop: "evse_board_support/MREC8EmergencyStop",
  tilt: "evse_board_support/TiltDetected",
  contactorFault: "evse_board_support/MREC17EVSEContactorFault",
} as const;

/** Dispenser-scope alarms: register, telemetry field, and the BSP error that raises it. */
export const DISPENSER_ALARMS = [
  { register: "doorAlarm", field: "door_status_alarm", error: BSP_ERROR.enclosureOpen },
  { register: "waterAlarm", field: "water_alarm", error: BSP_ERROR.waterIngress },
  { register: "epoAlarm", field: "epo_alarm", error: BSP_ERROR.emergencyStop },
  { register: "tiltAlarm", field: "tilt_alarm", error: BSP_ERROR.tilt },
] as const;

export type DispenserAlarmField = (typeof DISPENSER_ALARMS)[number]["field"];

/**
 * Which BSP errors are raised on which connector. A dispenser alarm is set while any connector's
 * BSP has its error and cleared when none has; the contactor fault stays with its connector.
 */
export class AlarmBoard {
  private readonly raised = new Map<LocalConnector, Set<string>>();

  constructor(readonly connectors: readonly LocalConnector[]) {
    for (const c of connectors) this.raised.set(c, new Set());
  }

  static isMapped(error: string): boolean {
    return Object.values(BSP_ERROR).some((e) => e === error);
  }

  /** Raise or clear `error` for connector `c`'s BSP. Returns true when an alarm register value changed. */
  set(c: LocalConnector, error: string, active: boolean): boolean {
    const set = this.raised.get(c);
    if (!set) throw new RangeError(`connector ${c} is not configured on this dispenser`);
    if (!AlarmBoard.isMapped(error)) return false;
    const before = this.snapshot();
    if (active) set.add(error);
    else set.delete(error);
    return this.snapshot() !== before;
  }

  dispenserAlarms(): Record<DispenserAlarmField, boolean> {
    const raisedAnywhere = (error: string) => [...this.raised.values()].some((s) => s.has(error));
    return {
      door_status_alarm: raisedAnywhere(BSP_ERROR.enclosureOpen),
      water_alarm: raisedAnywhere(BSP_ERROR.waterIngress),
      epo_alarm: raisedAnywhere(BSP_ERROR.emergencyStop),
      tilt_alarm: raisedAnywhere(BSP_ERROR.tilt),
    };
  }

  contactorFault(c: LocalConnector): boolean {
    return this.raised.get(c)?.has(BSP_ERROR.contactorFault) ?? false;
  }

  /** Writes 0x3001–0x3004 and each connector's 0x3105+o. */
  apply(store: RegisterStore): void {
    const alarms = this.dispenserAlarms();
    for (const a of DISPENSER_ALARMS) store.setUnit(a.register, alarms[a.field] ? 1 : 0);
    for (const c of this.connectors) store.setConnector(c, "contactorFault", this.contactorFault(c) ? 1 : 0);
  }

  private snapshot(): string {
    return JSON.stringify([this.dispenserAlarms(), this.connectors.map((c) => this.contactorFault(c))]);
  }
}

/** An error the bridge publishes for every connector (EVerest: `power_supply_DC/VendorWarning`, severity Medium). */
export interface PsuError {
  type: string;
  subType: string;
  message: string;
  severity: "Medium" | "High";
}

/** Errors the module raises itself (spec §8.2). */
export const MODULE_ERROR = {
  communicationFault: { type: "power_supply_DC/CommunicationFault", subType: "", severity: "High" },
  psuNotRunning: { type: "power_supply_DC/HardwareFault", subType: "psu_not_running", severity: "High" },
  capabilitiesNotReceived: { type: "power_supply_DC/HardwareFault", subType: "capabilities_not_received", severity: "High" },
  allocationFailed: { type: "power_supply_DC/VendorWarning", subType: "module_placeholder_allocation_failed", severity: "Medium" },
} as const;

function alarmState(v: number): string {
  return v === 0 ? "NORMAL" : v === 1 ? "ALARM" : "UNKNOWN";
}

/** The error a PSU register value stands for, or undefined when the value is 0 (normal). */
export function psuError(def: ErrorRegisterDef, value: number): PsuError | undefined {
  if (value === 0) return undefined;
  const digits = def.type.kind === "u32" ? 8 : 4;
  const detail = def.show === "alarm" ? `AlarmState: ${alarmState(value)}` : `Flags: 0x${value.toString(16).padStart(digits, "0")}`;
  return {
    type: "power_supply_DC/VendorWarning",
    subType: `${def.category}/${def.item}`,
    message: `Category: ${def.category}; Subcategory: ${def.item}; ${detail}`,
    severity: "Medium",
  };
}

export interface ErrorChange {
  raised?: PsuError;
  cleared?: PsuError;
}

/** Raise on 0 → non-zero, clear on → 0, clear and raise again when non-zero flags change. */
export class PsuErrorTracker {
  private readonly active = new Map<string, { value: number; error: PsuError }>();

  update(def: ErrorRegisterDef, value: number): ErrorChange {
    const key = `${def.category}/${def.item}`;
    const before = this.active.get(key);
    if (before?.value === value) return {};
    const now = psuError(def, value);
    if (now) this.active.set(key, { value, error: now });
    else this.active.delete(key);
    const change: ErrorChange = {};
    if (before) change.cleared = before.error;
    if (now) change.raised = now;
    return change;
  }

  list(): PsuError[] {
    return [...this.active.values()].map((a) => a.error);
  }
}
