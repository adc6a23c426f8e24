// One dispenser as the bridge keeps it across connections: the register store the PSU reads and
// writes, the alarms raised by command, each connector's state machine and telemetry state. Every
// change marks the unit dirty; whoever publishes (devices, compatible telemetry) renders from here.
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { AlarmBoard, BSP_ERROR, PsuErrorTracker } from "./alarms.ts";
import type { ConnectorConfig, UnitConfig } from "./config.ts";
import { ConnectorMachine, type Effects, type Limits } from "./connector.ts";
import { LOCAL_CONNECTORS, RunningMode, type ErrorRegisterDef, type LocalConnector } from "./register-map.ts";
import { RegisterStore } from "./registers.ts";
import { INITIAL_DISPENSER_TO_PSU, type DispenserToPsuState } from "./telemetry.ts";

export type AlarmName = "door" | "water" | "epo" | "tilt";
export const ALARM_ERROR: Record<AlarmName, string> = {
  door: BSP_ERROR.enclosureOpen,
  water: BSP_ERROR.waterIngress,
  epo: BSP_ERROR.emergencyStop,
  tilt: BSP_ERROR.tilt,
};

/** GOOSE as the unit knows it: off by configuration, sending, or wanted but impossible here. */
export type GooseStatus = { state: "off" } | { state: "active"; interface: string } | { state: "unavailable"; reason: string };

/** What the unit asks of the GOOSE side (implemented by goose-link.ts when it runs). */
export interface GoosePort {
  /** Send connector `c`'s current frame now with a new stNum (spec §6.2). */
  resend(c: LocalConnector): void;
  /** Every connector's frame again (the PSU MAC was written). */
  resendAll(): void;
}

export interface UnitConnector {
  readonly local: LocalConnector;
  readonly cfg: ConnectorConfig;
  readonly machine: ConnectorMachine;
  /** The dispenser_to_psu telemetry state (spec §10). */
  readonly d2p: DispenserToPsuState;
  /** True while the start-up key fetch fakes a plugged car (not shown as a real car). */
  keyFetch: boolean;
}

export type LinkState = "down" | "connected" | "ready";

/** Telemetry batching after the first change (spec §10: 10 ms). */
export const BATCH_MS = 10;

const CAPABILITIES = ["maxVoltage", "maxCurrent", "minVoltage", "minCurrent", "psuRatedPowerKw"] as const;

export class PsuUnit {
  readonly store: RegisterStore;
  readonly alarms: AlarmBoard;
  readonly connectors: readonly UnitConnector[];
  readonly psuErrors = new PsuErrorTracker();
  link: LinkState = "down";
  goose: GooseStatus;
  gooseSender: GoosePort | undefined;
  /** The live session's "send a report now" (alarm changes go out at once, spec §4). */
  reportNow: () => void = () => {};
  private dirty = true;
  private listeners: (() => Promise<void>)[] = [];
  private batch: Promise<void> | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private timers = new Map<LocalConnector, ReturnType<typeof setTimeout>>();

  constructor(readonly cfg: UnitConfig, private readonly log: Logger, private readonly now: () => number = Date.now) {
    this.store = new RegisterStore({ connectors: cfg.connectors.length, clock: now, onHookError: (label, err) => log.error("register hook failed", { register: label, error: errorMessage(err) }) });
    this.store.setUnit("esn", cfg.esn);
    this.store.setUnit("protocolVersion", 1);
    this.store.setUnit("hardwareVersion", 3);
    this.connectors = cfg.connectors.map((k, i) => {
      const local = LOCAL_CONNECTORS[i] ?? 1;
      this.store.setConnector(local, "globalConnector", k.global_connector_number);
      this.store.setConnector(local, "maxRatedCurrent", k.max_export_current_a);
      this.store.setConnector(local, "ratedPowerKw", k.max_export_power_w / 1000);
      const machine = new ConnectorMachine({ globalConnector: k.global_connector_number, signing: true, allocationTimeoutMs: cfg.allocation_timeout_s * 1000, now });
      machine.writeTo(this.store, local);
      return { local, cfg: k, machine, d2p: { ...INITIAL_DISPENSER_TO_PSU }, keyFetch: false };
    });
    this.alarms = new AlarmBoard(this.connectors.map((c) => c.local));
    this.alarms.apply(this.store);
    this.goose = cfg.goose ? { state: "unavailable", reason: "not opened yet" } : { state: "off" };
  }

  connector(local: LocalConnector): UnitConnector | undefined {
    return this.connectors.find((c) => c.local === local);
  }

  byGlobal(global: number): UnitConnector | undefined {
    return this.connectors.find((c) => c.cfg.global_connector_number === global);
  }

  /** `fn` runs on publish(); its promise resolves once MQTT took the result. */
  onPublish(fn: () => Promise<void>): void {
    this.listeners.push(fn);
  }

  markDirty(): void {
    this.dirty = true;
  }

  /**
   * A PSU write changed something: publish within BATCH_MS, once for the whole burst (the module
   * batches the same way, so a cycle's six AC values come out as one payload). Resolves when the
   * publish before it is through, so a slow MQTT slows the reading of the PSU's socket.
   */
  changed(): Promise<void> {
    this.markDirty();
    this.batch ??= new Promise<void>((r) => setTimeout(r, BATCH_MS)).then(() => {
      this.batch = undefined;
      this.inFlight = this.publish();
    });
    return this.inFlight;
  }

  /** Renders and publishes if anything changed since the last publish. */
  async publish(force = false): Promise<void> {
    if (!this.dirty && !force) return;
    this.dirty = false;
    await Promise.all(this.listeners.map((fn) => fn().catch((err: unknown) => this.log.error("publishing failed", { error: errorMessage(err) }))));
  }

  get runningMode(): number | undefined {
    return this.store.unitKnown("runningMode") ? this.store.unit("runningMode") : undefined;
  }

  capabilitiesKnown(c: LocalConnector): boolean {
    return CAPABILITIES.every((n) => this.store.connectorKnown(c, n));
  }

  /** The PSU's capabilities capped by the configuration (spec §9), or undefined before they came. */
  limits(c: UnitConnector): (Limits & { maxPowerW: number }) | undefined {
    if (!this.capabilitiesKnown(c.local)) return undefined;
    const s = this.store;
    return {
      minVoltage: s.connector(c.local, "minVoltage"),
      maxVoltage: s.connector(c.local, "maxVoltage"),
      minCurrent: s.connector(c.local, "minCurrent"),
      maxCurrent: Math.min(s.connector(c.local, "maxCurrent"), c.cfg.max_export_current_a),
      maxPowerW: Math.min(s.connector(c.local, "psuRatedPowerKw") * 1000, c.cfg.max_export_power_w),
    };
  }

  /** A capability register was written: the machine clamps setpoints into the new limits. */
  capabilitiesChanged(c: UnitConnector): void {
    const l = this.limits(c);
    const finite = l && [l.minVoltage, l.maxVoltage, l.minCurrent, l.maxCurrent].every((x) => Number.isFinite(x) && x >= 0);
    c.machine.setLimits(finite ? l : { minVoltage: 0, maxVoltage: 0, minCurrent: 0, maxCurrent: 0 });
    this.markDirty();
  }

  /** The connection ended: capabilities are cleared (spec §5.1) and every connector stops. */
  connectionLost(): void {
    this.link = "down";
    for (const c of this.connectors) {
      for (const n of CAPABILITIES) this.store.forgetConnector(c.local, n);
      this.store.forgetConnector(c.local, "portAvailability");
      this.capabilitiesChanged(c);
      if (c.keyFetch) {
        c.keyFetch = false;
        this.apply(c, c.machine.endKeyFetch());
      }
      // No PSU link, no charging: a running request becomes a stop (sent while the key lasts).
      if (c.machine.everest.mode === "Export") this.apply(c, c.machine.setMode("Off", "Other"));
    }
    this.markDirty();
  }

  /** Puts a machine's outputs into the registers and the GOOSE sender, and arms the allocation timer. */
  apply(c: UnitConnector, e: Effects): void {
    c.machine.writeTo(this.store, c.local);
    const { mode, phase } = c.machine.everest;
    c.d2p.everestMode = mode;
    c.d2p.everestPhase = phase;
    if (e.resend) this.gooseSender?.resend(c.local);
    if (e.stateChanged) {
      this.log.info("connector state", { connector: c.cfg.global_connector_number, state: c.machine.state });
      this.armAllocationTimer(c);
    }
    this.markDirty();
  }

  private armAllocationTimer(c: UnitConnector): void {
    const old = this.timers.get(c.local);
    if (old) clearTimeout(old);
    this.timers.delete(c.local);
    const due = c.machine.allocationDeadline;
    if (due === undefined) return;
    this.timers.set(c.local, setTimeout(() => {
      this.timers.delete(c.local);
      this.apply(c, c.machine.tick());
      if (c.machine.allocationFailed) this.log.warn("no PowerRequestReply in time: module_placeholder_allocation_failed", { connector: c.cfg.global_connector_number });
      void this.publish();
    }, Math.max(0, due - this.now()) + 1));
  }

  /** A dispenser alarm raised or cleared by command; true when a register changed. */
  setAlarm(alarm: AlarmName, active: boolean): boolean {
    const error = ALARM_ERROR[alarm];
    const [first] = this.connectors;
    // Dispenser-wide: raised through one connector's BSP, cleared on all of them.
    let changed = false;
    if (active && first) changed = this.alarms.set(first.local, error, true);
    if (!active) for (const c of this.connectors) changed = this.alarms.set(c.local, error, false) || changed;
    return this.alarmsChanged(changed);
  }

  setContactorFault(c: UnitConnector, active: boolean): boolean {
    const changed = this.alarms.set(c.local, BSP_ERROR.contactorFault, active);
    c.d2p.contactorFault = this.alarms.contactorFault(c.local);
    return this.alarmsChanged(changed);
  }

  private alarmsChanged(changed: boolean): boolean {
    if (!changed) return false;
    this.alarms.apply(this.store);
    this.markDirty();
    // Every alarm change also goes to the PSU at once (spec §8.1).
    this.reportNow();
    return true;
  }

  /** A PSU error register was written (spec §8.2). */
  errorWritten(def: ErrorRegisterDef, value: number): void {
    const change = this.psuErrors.update(def, value);
    if (change.cleared) this.log.info("PSU error cleared", { error: change.cleared.subType });
    if (change.raised) this.log.warn("PSU error raised", { error: change.raised.subType, message: change.raised.message });
    if (change.cleared || change.raised) this.markDirty();
  }

  get isRunning(): boolean {
    return this.runningMode === RunningMode.running;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
