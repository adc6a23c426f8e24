// A simulated OCPP 1.6 charge point written from the spec: boots, heartbeats, charges a simulated
// car, obeys the central system.
import { errorMessage } from "../../../lib/errors.ts";
import type { Logger } from "../../../lib/log.ts";
import { nowUtc } from "../time.ts";
import { SimLink } from "./link.ts";
import { SimProfiles } from "./profiles.ts";

export interface SimOptions {
  /** Full URL including the identity segment. */
  url: string;
  identity: string;
  password?: string | undefined;
  ca?: string | undefined;
  connectors?: number;
  idTag?: string;
  maxCurrentA?: number;
  meterIntervalMs?: number;
  /** Overrides the interval from the BootNotification reply. */
  heartbeatMs?: number;
  /** Automatic plug-in/charge/unplug cycle; off for tests that drive `plugIn`/`unplug`. */
  autoCycle?: { plugAfterMs: number; chargeMs: number; idleMs: number } | undefined;
  /** A stubborn charger: accepts every charging profile and keeps drawing what it did. */
  ignoreProfiles?: boolean;
  log: Logger;
}

interface Connector {
  status: string;
  transactionId: number | undefined;
  operative: boolean;
  /** ChangeAvailability Inoperative answered Scheduled: applied when the transaction ends. */
  pendingInoperative: boolean;
  energyWh: number;
}

const VOLTS = [230.1, 229.8, 231.2];

export class SimulatedChargePoint {
  readonly link: SimLink;
  readonly connectors: Connector[];
  readonly profiles = new SimProfiles();
  /** Every CALL from the central system, in order, for tests. */
  readonly received: { at: number; action: string; payload: Record<string, unknown> }[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  private config = new Map<string, { value: string; readonly: boolean }>([
    ["HeartbeatInterval", { value: "60", readonly: false }],
    ["MeterValueSampleInterval", { value: "5", readonly: false }],
    ["NumberOfConnectors", { value: "1", readonly: true }],
    ["StopTransactionOnInvalid", { value: "false", readonly: false }],
  ]);
  private localListVersion = 0;
  private stopped = false;
  bootInterval = 0;

  constructor(private opts: SimOptions) {
    const n = opts.connectors ?? 1;
    this.config.set("NumberOfConnectors", { value: String(n), readonly: true });
    this.connectors = Array.from({ length: n + 1 }, () => ({
      status: "Available", transactionId: undefined, operative: true, pendingInoperative: false, energyWh: 10_000,
    }));
    this.link = new SimLink({ url: opts.url, identity: opts.identity, password: opts.password, ca: opts.ca });
    this.link.handler = (action, payload) => this.onCall(action, payload);
  }

  /** Connector n (0 = the charger as a whole); a test that names one the simulator lacks fails loudly. */
  private conn(n: number): Connector {
    const c = this.connectors[n];
    if (!c) throw new Error(`simulated charge point ${this.opts.identity} has no connector ${n}`);
    return c;
  }

  /** Offered current on a connector: 0 when inoperative, else the profile limit capped by the hardware. */
  current(n = 1): number {
    const c = this.conn(n);
    if (!c.operative || !this.conn(0).operative) return 0;
    const limit = this.opts.ignoreProfiles ? undefined : this.profiles.limit(n, c.transactionId);
    return Math.min(this.opts.maxCurrentA ?? 16, limit ?? Infinity);
  }

  async start(): Promise<void> {
    await this.link.connect();
    const boot = await this.link.call("BootNotification", { chargePointVendor: "evse2mqtt", chargePointModel: "SimCP", firmwareVersion: "1.0.0", chargePointSerialNumber: this.opts.identity.slice(0, 25) });
    this.bootInterval = Number(boot.interval ?? 60);
    const hb = this.opts.heartbeatMs ?? this.bootInterval * 1000;
    this.every(hb, () => void this.link.call("Heartbeat", {}).catch(() => {}));
    for (let n = 0; n < this.connectors.length; n++) await this.status(n, "Available");
    this.every(this.opts.meterIntervalMs ?? 5000, () => void this.sendMeterValues().catch(() => {}));
    const cycle = this.opts.autoCycle;
    if (cycle) void this.runCycle(cycle);
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  private async runCycle(c: { plugAfterMs: number; chargeMs: number; idleMs: number }): Promise<void> {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(c.plugAfterMs);
    while (!this.stopped) {
      await this.plugIn(1).catch((err: unknown) => this.opts.log.warn("simulated plug-in failed", { error: errorMessage(err) }));
      await sleep(c.chargeMs);
      if (this.stopped) break;
      await this.unplug(1).catch(() => {});
      await sleep(c.idleMs);
    }
  }

  async status(n: number, status: string, errorCode = "NoError"): Promise<void> {
    this.conn(n).status = status;
    await this.link.call("StatusNotification", { connectorId: n, errorCode, status, timestamp: nowUtc() });
  }

  /** A car arrives: Preparing, Authorize, StartTransaction, Charging. */
  async plugIn(n = 1, idTag = this.opts.idTag ?? "SIMTAG"): Promise<number> {
    // An Unavailable connector starts no transaction.
    if (!this.connectors[n]?.operative || !this.connectors[0]?.operative) throw new Error(`connector ${n} is Unavailable`);
    await this.status(n, "Preparing");
    await this.link.call("Authorize", { idTag });
    return this.startTransaction(n, idTag);
  }

  private async startTransaction(n: number, idTag: string): Promise<number> {
    const c = this.conn(n);
    const r = await this.link.call("StartTransaction", { connectorId: n, idTag, meterStart: Math.round(c.energyWh), timestamp: nowUtc() });
    c.transactionId = Number(r.transactionId);
    await this.status(n, this.current(n) > 0 ? "Charging" : "SuspendedEVSE");
    return c.transactionId;
  }

  /** The car leaves: the transaction (if any) ends, then the connector is free (or Unavailable). */
  async unplug(n = 1, reason = "EVDisconnected"): Promise<void> {
    const c = this.conn(n);
    if (c.transactionId !== undefined) await this.endTransaction(n, reason);
    await this.status(n, c.operative && this.conn(0).operative ? "Available" : "Unavailable");
  }

  /** StopTransaction with the car still plugged in (Finishing); a Scheduled Inoperative applies now. */
  async endTransaction(n: number, reason: string): Promise<void> {
    const c = this.conn(n);
    const tx = c.transactionId;
    if (tx === undefined) return;
    c.transactionId = undefined;
    this.profiles.transactionEnded(tx);
    await this.link.call("StopTransaction", { transactionId: tx, meterStop: Math.round(c.energyWh), timestamp: nowUtc(), reason });
    await this.status(n, "Finishing");
    if (c.pendingInoperative) {
      c.pendingInoperative = false;
      c.operative = false;
      await this.status(n, "Unavailable");
    }
    const whole = this.conn(0);
    if (whole.pendingInoperative && this.connectors.every((x) => x.transactionId === undefined)) {
      whole.pendingInoperative = false;
      whole.operative = false;
      await this.status(0, "Unavailable");
    }
  }

  /** After a profile change: a session offered 0 A is SuspendedEVSE, one offered current again Charging. */
  private async reflectProfiles(): Promise<void> {
    for (let n = 1; n < this.connectors.length; n++) {
      const c = this.conn(n);
      if (c.transactionId === undefined || (c.status !== "Charging" && c.status !== "SuspendedEVSE")) continue;
      const wanted = this.current(n) > 0 ? "Charging" : "SuspendedEVSE";
      if (c.status !== wanted) await this.status(n, wanted);
    }
  }

  async sendMeterValues(n = 1, intervalS = (this.opts.meterIntervalMs ?? 5000) / 1000): Promise<void> {
    const c = this.conn(n);
    if (c.transactionId === undefined) return;
    const amps = this.current(n);
    const power = VOLTS.reduce((sum, v) => sum + v * amps, 0);
    c.energyWh += (power * intervalS) / 3600;
    const phase = (measurand: string, unit: string, values: number[]) =>
      values.map((v, i) => ({ value: v.toFixed(1), measurand, unit, phase: `L${i + 1}`, context: "Sample.Periodic" }));
    await this.link.call("MeterValues", {
      connectorId: n,
      transactionId: c.transactionId,
      meterValue: [{
        timestamp: nowUtc(),
        sampledValue: [
          ...phase("Current.Import", "A", [amps, amps, amps]),
          ...phase("Voltage", "V", VOLTS).map((s) => ({ ...s, phase: `${s.phase}-N` })),
          { value: (power / 1000).toFixed(3), measurand: "Power.Active.Import", unit: "kW" },
          { value: (c.energyWh / 1000).toFixed(3), measurand: "Energy.Active.Import.Register", unit: "kWh" },
          { value: amps.toFixed(1), measurand: "Current.Offered", unit: "A" },
        ],
      }],
    });
  }

  private later(fn: () => Promise<unknown>): void {
    setTimeout(() => void fn().catch(() => {}), 10);
  }

  /** Answers every CS-initiated 1.6 action (spec §5). */
  private onCall(action: string, p: Record<string, unknown>): Record<string, unknown> | undefined {
    this.received.push({ at: Date.now(), action, payload: p });
    const conn = (k = "connectorId") => this.connectors[Number(p[k] ?? 0)];
    switch (action) {
      case "ChangeAvailability": {
        const c = conn();
        if (!c) return { status: "Rejected" };
        const operative = p.type === "Operative";
        const n = this.connectors.indexOf(c);
        const busy = (n === 0 ? this.connectors : [c]).some((x) => x.transactionId !== undefined);
        // 1.6: Inoperative during a transaction waits for its end; the session goes on meanwhile.
        if (!operative && busy) {
          c.pendingInoperative = true;
          return { status: "Scheduled" };
        }
        c.pendingInoperative = false;
        if (c.operative === operative && busy) return { status: "Accepted" };
        c.operative = operative;
        this.later(() => this.status(n, operative ? "Available" : "Unavailable"));
        return { status: "Accepted" };
      }
      case "SetChargingProfile": {
        const n = Number(p.connectorId ?? 0);
        if (!this.connectors[n]) return { status: "Rejected" };
        const status = this.profiles.set(n, p.csChargingProfiles, (k) => this.connectors[k]?.transactionId);
        if (status === "Accepted") this.later(() => this.reflectProfiles());
        return { status };
      }
      case "ClearChargingProfile": {
        const status = this.profiles.clear(p);
        this.later(() => this.reflectProfiles());
        return { status };
      }
      case "GetCompositeSchedule":
        return { status: "Accepted", connectorId: Number(p.connectorId ?? 0), scheduleStart: nowUtc(), chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: this.current(Math.max(1, Number(p.connectorId ?? 1))) }] } };
      case "RemoteStartTransaction": {
        const n = Number(p.connectorId ?? 1);
        const c = this.connectors[n];
        if (!c || c.transactionId !== undefined || !c.operative) return { status: "Rejected" };
        this.later(async () => {
          await this.status(n, "Preparing");
          await this.startTransaction(n, String(p.idTag));
        });
        return { status: "Accepted" };
      }
      case "RemoteStopTransaction": {
        const n = this.connectors.findIndex((c) => c.transactionId === p.transactionId);
        if (n < 0) return { status: "Rejected" };
        this.later(() => this.endTransaction(n, "Remote"));
        return { status: "Accepted" };
      }
      case "Reset":
        for (let n = 1; n < this.connectors.length; n++) {
          if (this.conn(n).transactionId !== undefined) this.later(() => this.unplug(n, p.type === "Hard" ? "HardReset" : "SoftReset"));
        }
        this.later(() => this.link.call("BootNotification", { chargePointVendor: "evse2mqtt", chargePointModel: "SimCP" }));
        return { status: "Accepted" };
      case "UnlockConnector":
        return { status: conn() ? "Unlocked" : "UnlockFailed" };
      case "TriggerMessage":
        return this.trigger(String(p.requestedMessage), Number(p.connectorId ?? 1));
      case "GetConfiguration": {
        const keys = Array.isArray(p.key) ? p.key.map(String) : [...this.config.keys()];
        const configurationKey = keys.flatMap((key) => {
          const e = this.config.get(key);
          return e ? [{ key, readonly: e.readonly, value: e.value }] : [];
        });
        const unknownKey = keys.filter((k) => !this.config.has(k));
        return { configurationKey, ...(unknownKey.length ? { unknownKey } : {}) };
      }
      case "ChangeConfiguration": {
        const e = this.config.get(String(p.key));
        if (!e) return { status: "NotSupported" };
        if (e.readonly) return { status: "Rejected" };
        e.value = String(p.value);
        return { status: "Accepted" };
      }
      case "ClearCache":
        return { status: "Accepted" };
      case "DataTransfer":
        return { status: "Accepted", data: "pong" };
      case "ReserveNow":
        return { status: conn() ? "Accepted" : "Rejected" };
      case "CancelReservation":
        return { status: "Accepted" };
      case "GetLocalListVersion":
        return { listVersion: this.localListVersion };
      case "SendLocalList":
        this.localListVersion = Number(p.listVersion);
        return { status: "Accepted" };
      case "UpdateFirmware":
        this.later(async () => {
          for (const status of ["Downloading", "Downloaded", "Installing", "Installed"]) await this.link.call("FirmwareStatusNotification", { status });
        });
        return {};
      case "GetDiagnostics":
        this.later(async () => {
          for (const status of ["Uploading", "Uploaded"]) await this.link.call("DiagnosticsStatusNotification", { status });
        });
        return { fileName: "diagnostics.log" };
      default:
        throw new Error(`unsupported action ${action}`);
    }
  }

  private trigger(what: string, n: number): Record<string, unknown> {
    const send: Record<string, () => Promise<unknown>> = {
      BootNotification: () => this.link.call("BootNotification", { chargePointVendor: "evse2mqtt", chargePointModel: "SimCP" }),
      Heartbeat: () => this.link.call("Heartbeat", {}),
      StatusNotification: () => this.status(n, this.connectors[n]?.status ?? "Available"),
      MeterValues: () => this.sendMeterValues(n, 0),
      FirmwareStatusNotification: () => this.link.call("FirmwareStatusNotification", { status: "Idle" }),
      DiagnosticsStatusNotification: () => this.link.call("DiagnosticsStatusNotification", { status: "Idle" }),
    };
    const fn = send[what];
    if (!fn) return { status: "NotImplemented" };
    this.later(fn);
    return { status: "Accepted" };
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.link.close();
  }
}
