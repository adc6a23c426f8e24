// One connector's state machine (spec §5.2), pure: inputs are method calls, time comes from an
// injected clock, outputs are getters plus what each input changed. The session turns `resend`
// into a GOOSE (re)send with a new stNum, and `stateChanged` into the one-shot 0x117E report.
import { ChargingEvent, ConnectionStatus, WorkingStatus, type LocalConnector } from "./register-map.ts";
import type { RegisterStore } from "./registers.ts";
import { GooseMode, Requirement, ShutdownReason, UNUSED, type PowerRequest, type ShutdownRequest } from "./goose/datasets.ts";
import { CommandError } from "../../lib/errors.ts";

export type ConnectorState = "CarDisconnected" | "NoKeyYet" | "ConnectedNoAllocation" | "Running" | "Completed";
export type ModePhase = "Off" | "ExportCableCheck" | "OffCableCheck" | "ExportPrecharge" | "ExportCharging";
/** EVerest `setMode` arguments as the §10 telemetry names them. */
export type EverestMode = "Off" | "Export" | "Import" | "Fault";
export type EverestPhase = "Other" | "CableCheck" | "PreCharge" | "Charging";

export interface Limits {
  minVoltage: number;
  maxVoltage: number;
  minCurrent: number;
  maxCurrent: number;
}

export interface ConnectorOptions {
  /** Global connector number (1–12) carried in every GOOSE frame. */
  globalConnector: number;
  /** `module_placeholder_allocation_timeout_s` in ms (default 5000). */
  allocationTimeoutMs?: number;
  /** `send_secure_goose`: without a key nothing at all may be sent. */
  signing: boolean;
  now: () => number;
}

export interface Effects {
  stateChanged: boolean;
  /** Send the current GOOSE frame now, with a new stNum. */
  resend: boolean;
}

const NONE: Effects = { stateChanged: false, resend: false };
const isExport = (mp: ModePhase) => mp === "ExportCableCheck" || mp === "ExportPrecharge" || mp === "ExportCharging";

function merge(a: Effects, b: Effects): Effects {
  return { stateChanged: a.stateChanged || b.stateChanged, resend: a.resend || b.resend };
}

export class ConnectorMachine {
  private st: ConnectorState = "CarDisconnected";
  private mp: ModePhase = "Off";
  private mode: EverestMode | null = null;
  private phase: EverestPhase | null = null;
  private key = false;
  private failed = false;
  private deadline: number | undefined;
  private eventPending = false;
  private voltage = 0;
  private current = 0;
  private limits: Limits = { minVoltage: 0, maxVoltage: 0, minCurrent: 0, maxCurrent: 0 };
  private savedModePhase: ModePhase | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ConnectorOptions) {
    if (!Number.isInteger(opts.globalConnector) || opts.globalConnector < 1 || opts.globalConnector > 12) {
      throw new RangeError(`global connector number must be 1..12, got ${opts.globalConnector}`);
    }
    this.timeoutMs = opts.allocationTimeoutMs ?? 5000;
  }

  get state(): ConnectorState {
    return this.st;
  }

  get modePhase(): ModePhase {
    return this.mp;
  }

  /** The last EVerest mode/phase as given to setMode (after the cable-check rule), for telemetry. */
  get everest(): { mode: EverestMode | null; phase: EverestPhase | null } {
    return { mode: this.mode, phase: this.phase };
  }

  get hasKey(): boolean {
    return this.key;
  }

  /** The last allocation failed or timed out (`VendorWarning/module_placeholder_allocation_failed`). */
  get allocationFailed(): boolean {
    return this.failed;
  }

  /** When the allocation timer runs out, if it runs. */
  get allocationDeadline(): number | undefined {
    return this.deadline;
  }

  /** Setpoints after clamping, as sent and as telemetry shows them. */
  get setpoint(): { voltage: number; current: number } {
    return { voltage: this.voltage, current: this.current };
  }

  get workingStatus(): number {
    switch (this.st) {
      case "CarDisconnected": return WorkingStatus.standby;
      case "NoKeyYet": return WorkingStatus.standbyWithConnectorInserted;
      case "ConnectedNoAllocation": return WorkingStatus.chargingStarting;
      case "Running": return this.mp === "ExportCharging" ? WorkingStatus.charging : WorkingStatus.chargingStarting;
      case "Completed": return WorkingStatus.chargingComplete;
    }
  }

  get connectionStatus(): number {
    return this.st === "CarDisconnected" ? ConnectionStatus.notConnected : ConnectionStatus.fullConnected;
  }

  /** Value of 0x117E: STOP_TO_START after entering Running, START_TO_STOP after any other change. */
  get chargingEvent(): number {
    return this.st === "Running" ? ChargingEvent.stopToStart : ChargingEvent.startToStop;
  }

  /** True once after each state change: the next report carries 0x117E. */
  takeChargingEvent(): boolean {
    const pending = this.eventPending;
    this.eventPending = false;
    return pending;
  }

  /** Puts working status, connection status and charging event into connector `c`'s registers. */
  writeTo(store: RegisterStore, c: LocalConnector): void {
    store.setConnector(c, "workingStatus", this.workingStatus);
    store.setConnector(c, "connectionStatus", this.connectionStatus);
    store.setConnector(c, "chargingEvent", this.chargingEvent);
  }

  /** BSP event "B". */
  carPlugged(): Effects {
    return this.st === "CarDisconnected" ? this.transition("NoKeyYet", undefined) : NONE;
  }

  /** BSP event "A". */
  carUnplugged(): Effects {
    return this.st !== "CarDisconnected" ? this.transition("CarDisconnected", undefined) : NONE;
  }

  /** The PSU wrote this connector's HMAC key. */
  keyWritten(): Effects {
    this.key = true;
    return this.st === "NoKeyYet" ? this.transition("ConnectedNoAllocation", undefined) : NONE;
  }

  /** A PowerRequestReply for this connector arrived (any result). */
  allocationReply(success: boolean): Effects {
    if (this.st !== "ConnectedNoAllocation") return NONE;
    this.failed = !success;
    return this.transition("Running", undefined);
  }

  /** Call when the clock passes allocationDeadline (or any time; it only acts when due). */
  tick(): Effects {
    if (this.st !== "ConnectedNoAllocation" || this.deadline === undefined || this.opts.now() < this.deadline) return NONE;
    // The reply may just have been lost: go on, but remember the failure (spec §5.2).
    this.failed = true;
    return this.transition("Running", undefined);
  }

  /** EVerest setMode. Import, Fault and Export with phase Other change nothing but the telemetry. */
  setMode(mode: EverestMode, phase: EverestPhase): Effects {
    // A stop right after Export + CableCheck keeps the CableCheck phase.
    if (this.mode === "Export" && mode === "Off" && this.phase === "CableCheck") phase = "CableCheck";
    this.mode = mode;
    this.phase = phase;
    let next: ModePhase | undefined;
    if (mode === "Off") next = phase === "CableCheck" ? "OffCableCheck" : "Off";
    else if (mode === "Export") {
      next = phase === "CableCheck" ? "ExportCableCheck" : phase === "PreCharge" ? "ExportPrecharge" : phase === "Charging" ? "ExportCharging" : undefined;
    }
    return next === undefined ? NONE : this.modePhaseChange(next);
  }

  /** PSU capabilities capped by the configuration; setpoints are clamped into them. */
  setLimits(limits: Limits): void {
    for (const [k, v] of Object.entries(limits)) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`limit ${k} must be a finite number ≥ 0, got ${v}`);
    }
    this.limits = { ...limits };
  }

  /** EVerest setExportVoltageCurrent. Returns the clamped values; throws CommandError on non-numbers. */
  setSetpoint(voltage: number, current: number): Effects & { voltage: number; current: number } {
    if (!Number.isFinite(voltage) || !Number.isFinite(current)) {
      throw new CommandError(`connector ${this.opts.globalConnector}: setpoint must be finite numbers, got ${voltage} V / ${current} A`);
    }
    const l = this.limits;
    this.voltage = voltage > l.maxVoltage ? l.maxVoltage : voltage < l.minVoltage ? l.minVoltage : voltage;
    this.current = current > l.maxCurrent ? l.maxCurrent : current < l.minCurrent ? l.minCurrent : current;
    return { stateChanged: false, resend: this.st === "Running", voltage: this.voltage, current: this.current };
  }

  /**
   * The initial key fetch of §5.1: force mode Off and fake "car plugged" so the PSU sends a key.
   * The session ends it with endKeyFetch once the state reached ConnectedNoAllocation or 10 s passed.
   */
  beginKeyFetch(): Effects {
    this.savedModePhase = this.mp;
    return merge(this.modePhaseChange("Off"), this.carPlugged());
  }

  endKeyFetch(): Effects {
    let e = this.carUnplugged();
    const saved = this.savedModePhase;
    this.savedModePhase = undefined;
    // Restore the mode unless someone changed it meanwhile.
    if (saved !== undefined && this.mp === "Off") e = merge(e, this.modePhaseChange(saved));
    return e;
  }

  /** The frame to send continuously, or undefined when signing is on and there is no key yet. */
  goose(): PowerRequest | ShutdownRequest | undefined {
    if (this.opts.signing && !this.key) return undefined;
    const connector = this.opts.globalConnector;
    const stop: ShutdownRequest = { dataset: "ShutdownRequest", connector, chargingSn: UNUSED, reason: ShutdownReason.normal };
    const power = (requirement: number, withSetpoint: boolean): PowerRequest => ({
      dataset: "PowerRequest",
      connector,
      chargingSn: UNUSED,
      requirement,
      mode: GooseMode.constantCurrent,
      voltage: withSetpoint ? this.voltage : 0,
      current: withSetpoint ? this.current : 0,
    });
    switch (this.st) {
      case "CarDisconnected":
      case "NoKeyYet":
      case "Completed":
        return stop;
      case "ConnectedNoAllocation":
        return power(Requirement.modulePlaceholder, false);
      case "Running":
        switch (this.mp) {
          case "Off": return power(Requirement.modulePlaceholder, false);
          case "ExportCableCheck": return power(Requirement.insulationOutput, true);
          case "OffCableCheck": return power(Requirement.insulationStop, false);
          case "ExportPrecharge": return power(Requirement.precharge, true);
          case "ExportCharging": return power(Requirement.charging, true);
        }
    }
  }

  private modePhaseChange(mp: ModePhase): Effects {
    if (this.st === "Running" && mp === "Off") return this.transition("Completed", mp);
    if (this.st === "Completed" && isExport(mp)) return this.transition("NoKeyYet", mp);
    return this.transition(undefined, mp);
  }

  private transition(state: ConnectorState | undefined, mp: ModePhase | undefined): Effects {
    const stateChanged = state !== undefined && state !== this.st;
    const mpChanged = mp !== undefined && mp !== this.mp;
    if (mp !== undefined) this.mp = mp;
    if (!stateChanged) return { stateChanged: false, resend: mpChanged };
    this.st = state;
    this.eventPending = true;
    this.deadline = state === "ConnectedNoAllocation" ? this.opts.now() + this.timeoutMs : undefined;
    if (state !== "Running") this.failed = false;
    return { stateChanged: true, resend: true };
  }
}
