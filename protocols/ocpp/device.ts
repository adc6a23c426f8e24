// One charge point as the hub sees it: `<id>` for the charger (connectors 0 and 1) and `<id>_<n>`
// for each further connector n ≥ 2 once the charger reports it. It outlives connections (keyed by
// identity): limits, stops and the guard's interval survive a reconnect.
import type { Logger } from "../../lib/log.ts";
import type { NormalizedState, SetCommand } from "../../lib/normalized.ts";
import type { Capabilities, ChargerDriver, ChargerHandle, ChargerMeta, ChargerRegistry } from "../../lib/protocol.ts";
import { type ActionContext, OCPP_BUTTONS, runAction } from "./actions.ts";
import type { OcppSection } from "./config.ts";
import { Connectors } from "./connectors.ts";
import { Control } from "./control.ts";
import type { Call } from "./current-limit.ts";
import { NotConnectedError } from "./errors.ts";
import { flowOf, normalizedFrom, samplesOf } from "./meter.ts";
import { OwnProfiles } from "./own-profiles.ts";
import type { CpEvent } from "./schemas.ts";
import type { MeterValue } from "./schemas-common.ts";
import type { OcppSession } from "./session.ts";
import { iecState, statusFields, WHOLE_CHARGER } from "./status.ts";
import { StopBook } from "./stop-book.ts";

export interface DeviceDeps {
  hub: ChargerRegistry;
  cfg: OcppSection;
  identity: string;
  /** The identity's live session, if any. */
  session(): OcppSession | undefined;
  setChargingEnabled(on: boolean): void;
  log: Logger;
}

export class OcppDevice {
  readonly connectors = new Connectors();
  readonly control: Control;
  private readonly handles = new Map<number, ChargerHandle>();
  private readonly stops: StopBook;
  private readonly profiles = new OwnProfiles();
  private meta: ChargerMeta;
  private attached = false;
  /** Connector 0's own meter (the charge point's), kept apart from connector 1's readings. */
  private chargePointMeter: Partial<NormalizedState> = {};

  constructor(private readonly deps: DeviceDeps) {
    this.meta = { protocol: "ocpp", name: deps.identity, capabilities: this.capabilities() };
    this.stops = new StopBook({ cfg: deps.cfg, call: this.call, onChange: (n) => void this.refreshStatus(n), log: deps.log });
    this.control = new Control({
      cfg: deps.cfg,
      call: this.call,
      connectors: this.connectors,
      stops: this.stops,
      profiles: this.profiles,
      update: (n, part) => void this.update(n, part),
      log: deps.log,
    });
  }

  get identity(): string {
    return this.deps.identity;
  }

  /** The same for `<id>` and every `<id>_<n>`: OCPP chargers meter, switch and limit per connector. */
  capabilities(): Capabilities {
    const { cfg } = this.deps;
    return {
      power: true,
      energy: true,
      phases: true,
      enable: true,
      currentLimit: { min: cfg.min_current_a, max: cfg.max_current_a, step: 0.1, allowZero: true },
      plug: true,
      buttons: OCPP_BUTTONS,
    };
  }

  /** Sends a CALL on the live session; "not connected" arrives as a rejection, never as a throw. */
  readonly call: Call = async (action, payload) => this.live().call(action, payload);

  /** The raw ids this device holds in the hub (for forgetting it). */
  hubIds(): string[] {
    return [...this.handles.keys()].map((n) => (n === 1 ? this.deps.identity : `${this.deps.identity}_${n}`));
  }

  attach(): void {
    this.attached = true;
    this.handles.set(1, this.deps.hub.attach(this.deps.identity, { ...this.meta, owner: `ocpp:${this.deps.identity}` }, this.driverFor(0)));
    for (const n of this.connectors.numbers()) if (n >= 2) this.ensure(n, true);
  }

  detach(): void {
    this.attached = false;
    this.stops.abortAll("the charger disconnected before energy was confirmed off");
    for (const h of this.handles.values()) h.detach();
  }

  /** The hub entry appears with the first valid CALL (normally the BootNotification), not on connect. */
  async onEvent(ev: CpEvent): Promise<void> {
    if (ev.action === "BootNotification") {
      const r = ev.request;
      const meta: ChargerMeta = { protocol: "ocpp", name: this.deps.identity, manufacturer: r.chargePointVendor, model: r.chargePointModel, sw_version: r.firmwareVersion, capabilities: this.capabilities() };
      if (!this.attached || JSON.stringify(meta) !== JSON.stringify(this.meta)) {
        this.meta = meta;
        this.attach();
      }
      this.seen(0);
      return;
    }
    if (!this.attached) this.attach();
    switch (ev.action) {
      case "StatusNotification": {
        const r = ev.request;
        const c = this.connectors.get(r.connectorId);
        // A reading taken before the change says nothing about the new state (Charging means flow until one says otherwise).
        if (c.status !== r.status) delete c.flowing;
        c.status = r.status;
        c.errors = r.errorCode === "NoError" ? [] : [r.vendorErrorCode ? `${r.errorCode}:${r.vendorErrorCode}` : r.errorCode];
        if (r.connectorId >= 2) this.ensure(r.connectorId, false);
        this.stops.onStatus(r.connectorId, r.status);
        return this.refreshStatus(r.connectorId);
      }
      case "StartTransaction": {
        const c = this.connectors.get(ev.request.connectorId);
        c.meterStart = ev.request.meterStart;
        c.transactionId = ev.response.transactionId;
        return this.update(ev.request.connectorId, { energy_session_wh: 0, energy_total_wh: ev.request.meterStart });
      }
      case "StopTransaction": {
        const found = this.connectors.byTransaction(ev.request.transactionId);
        this.profiles.transactionEnded(ev.request.transactionId);
        if (!found) return;
        const [n, c] = found;
        // The zero power first: a stop confirmed by this transaction's end must not show stale power with enabled:false.
        const published = c.meterStart === undefined ? Promise.resolve() : this.update(n, { energy_session_wh: ev.request.meterStop - c.meterStart, energy_total_wh: ev.request.meterStop, power_w: 0 });
        delete c.meterStart;
        delete c.transactionId;
        this.stops.onTransactionEnded(n, ev.request.transactionId);
        return published;
      }
      case "MeterValues":
        return this.onMeter(ev.request.connectorId, ev.request.meterValue);
      default:
        this.seen(0);
    }
  }

  private async onMeter(n: number, entries: MeterValue[]): Promise<void> {
    if (n === 0) return this.onChargePointMeter(entries);
    const c = this.connectors.get(n);
    for (const entry of entries) {
      const part = normalizedFrom(samplesOf(entry));
      if (typeof part.energy_total_wh === "number" && c.meterStart !== undefined) part.energy_session_wh = Math.max(0, part.energy_total_wh - c.meterStart);
      this.stops.onMeter(n, part);
      const flowing = flowOf(part);
      // Whether current flows decides between IEC C and B while Charging.
      if (flowing !== undefined && flowing !== c.flowing) {
        c.flowing = flowing;
        part.iec_state = iecState(this.shown(n).status, flowing);
      }
      await this.update(n, part);
    }
  }

  /**
   * Connector 0 meters the whole charge point: its register never feeds a connector's energy
   * counters (interleaved with connector 1's, every reading would look like a reset to Home
   * Assistant). It is shown under `raw.charge_point_meter`; its temperature is the charger's.
   */
  private async onChargePointMeter(entries: MeterValue[]): Promise<void> {
    for (const entry of entries) this.chargePointMeter = { ...this.chargePointMeter, ...normalizedFrom(samplesOf(entry)) };
    const { temperature_c } = this.chargePointMeter;
    await this.update(1, { raw: { charge_point_meter: this.chargePointMeter }, ...(temperature_c !== undefined ? { temperature_c } : {}) });
  }

  private ensure(n: number, force: boolean): void {
    if (this.handles.has(n) && !force) return;
    this.handles.set(n, this.deps.hub.attach(`${this.deps.identity}_${n}`, { ...this.meta, owner: `ocpp:${this.deps.identity}#${n}`, name: `${this.deps.identity} connector ${n}` }, this.driverFor(n)));
  }

  /** What the hub device of connector n shows: connector 0 and 1 feed `<id>`, where a whole-charger fault or unavailability on 0 wins over 1. */
  private shown(n: number): { status: string; errors: string[]; flowing: boolean | undefined } {
    if (n >= 2) {
      const c = this.connectors.get(n);
      return { status: c.status ?? "", errors: c.errors, flowing: c.flowing };
    }
    const c0 = this.connectors.peek(0);
    const c1 = this.connectors.peek(1);
    const status = c0?.status && (WHOLE_CHARGER.has(c0.status) || !c1?.status) ? c0.status : (c1?.status ?? "");
    return { status, errors: [...(c0?.errors ?? []), ...(c1?.errors ?? [])], flowing: c1?.flowing };
  }

  private refreshStatus(n: number): Promise<void> {
    const { status, errors, flowing } = this.shown(n);
    return this.update(n, statusFields(status, errors, this.stops.holding(n >= 2 ? n : 1), flowing));
  }

  private update(n: number, part: Partial<NormalizedState>): Promise<void> {
    const h = this.handles.get(n >= 2 ? n : 1);
    if (!h) return Promise.resolve();
    h.seen();
    return h.update(part);
  }

  private seen(n: number): void {
    this.handles.get(n >= 2 ? n : 1)?.seen();
  }

  private live(): OcppSession {
    const s = this.deps.session();
    if (!s) throw new NotConnectedError(`charger "${this.deps.identity}" is not connected`);
    return s;
  }

  /** Runs an action of the table for the device of `connectorId`; `snakeResult` forces the result's key spelling. */
  run(connectorId: number, action: string, args: unknown, snakeResult?: boolean): Promise<unknown> {
    const ctx: ActionContext = {
      connectorId,
      control: this.control,
      call: this.call,
      maxPowerW: this.deps.cfg.max_power_w,
      setChargingEnabled: (on) => this.deps.setChargingEnabled(on),
      log: this.deps.log,
    };
    return runAction(action, args, ctx, snakeResult);
  }

  /** `connectorId` 0 acts on the whole charger. */
  private driverFor(connectorId: number): ChargerDriver {
    return new ConnectorDriver(this, connectorId);
  }

  /** A normalized `/set` for the device of `connectorId`. */
  async set(connectorId: number, cmd: SetCommand): Promise<unknown> {
    this.live();
    // Checked before anything is sent: a command that fails validation must switch nothing either.
    const limit = cmd.current_limit_a === undefined ? undefined : this.control.guard(connectorId).current(cmd.current_limit_a);
    const result: Record<string, unknown> = {};
    if (cmd.enabled !== undefined) Object.assign(result, await this.control.setEnabled(connectorId, cmd.enabled));
    if (limit) Object.assign(result, await this.control.setLimit(connectorId, limit));
    return result;
  }
}

/** The hub's driver for one connector's device: a small object rather than closures per connector. */
class ConnectorDriver implements ChargerDriver {
  constructor(private readonly device: OcppDevice, private readonly connectorId: number) {}

  set(cmd: SetCommand): Promise<unknown> {
    return this.device.set(this.connectorId, cmd);
  }

  request(action: string, args: Record<string, unknown>): Promise<unknown> {
    return this.device.run(this.connectorId, action, args);
  }
}
