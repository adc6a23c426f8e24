/**
 * The normalized layout for one charge point: `<id>` for the charger (connector 0 and 1), plus
 * `<id>_<n>` for each further connector n ≥ 2 once the charger reports it.
 */
import { CommandError } from "../../lib/errors.ts";
import { SwitchLimiter } from "../../lib/rate-limit.ts";
import type { Logger } from "../../lib/log.ts";
import type { ChargerDriver, ChargerHandle, ChargerMeta, ChargerRegistry } from "../../lib/protocol.ts";
import type { ChargerStatus, NormalizedState, SetCommand } from "../../lib/normalized.ts";
import { camelToSnake, convertKeys, resolveAction, snakeToCamel } from "./commands.ts";
import { applyCurrentLimit } from "./current-limit.ts";
import type { OcppSection } from "./config.ts";
import type { CpEvent, Session } from "./driver.ts";
import { answerOf } from "./energy-stop.ts";
import { normalizedFrom, samplesOf } from "./meter.ts";
import { parseOnOff } from "./policy.ts";
import { guardProfiles } from "./profile-guard.ts";
import { CallTimeoutError } from "./rpc.ts";
import { type RunningTx, StopBook } from "./stop-book.ts";

export function mapStatus(s: string): ChargerStatus {
  switch (s) {
    case "Available":
    case "Reserved":
      return "available";
    case "Preparing":
    case "Finishing":
      return "connected";
    case "Charging":
      return "charging";
    case "SuspendedEV":
    case "SuspendedEVSE":
      return "suspended";
    case "Unavailable":
      return "disabled";
    case "Faulted":
      return "error";
    default:
      return "unknown";
  }
}

const WHOLE_CHARGER = new Set(["Faulted", "Unavailable"]);

interface ConnectorState {
  status?: string;
  errors: string[];
  meterStart?: number;
  transactionId?: number;
}

export interface ViewDeps {
  hub: ChargerRegistry;
  cfg: OcppSection;
  identity: string;
  session(): Session | undefined;
  setChargingEnabled(on: boolean): void;
  log: Logger;
}

export class NormalizedView {
  private handles = new Map<number, ChargerHandle>();
  /** Availability flips, per connector target: contactors and cars dislike rapid on/off. */
  private limiters = new Map<number, SwitchLimiter>();
  private lastEnabled = new Map<number, boolean>();
  private connectors = new Map<number, ConnectorState>();
  private meta: ChargerMeta;
  private attached = false;
  private stops: StopBook;

  constructor(private deps: ViewDeps) {
    this.meta = { protocol: "ocpp", name: deps.identity };
    this.stops = new StopBook({ cfg: deps.cfg, live: () => this.live(), onChange: (n) => this.refreshStatus(n), log: deps.log });
  }

  attach(): void {
    this.attached = true;
    this.handles.set(1, this.deps.hub.attach(this.deps.identity, { ...this.meta, owner: `ocpp:${this.deps.identity}` }, this.driverFor(0)));
    for (const n of this.connectors.keys()) if (n >= 2) this.ensure(n, true);
  }

  detach(): void {
    this.attached = false;
    this.stops.abortAll("the charger disconnected before energy was confirmed off");
    for (const h of this.handles.values()) h.detach();
  }

  /** The hub entry appears with the first valid CALL (normally the BootNotification), not on connect. */
  onEvent(ev: CpEvent): void {
    if (ev.action === "BootNotification") {
      const r = ev.request;
      const meta: ChargerMeta = { protocol: "ocpp", name: this.deps.identity, manufacturer: r.chargePointVendor, model: r.chargePointModel, sw_version: r.firmwareVersion };
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
        const c = this.conn(r.connectorId);
        c.status = r.status;
        c.errors = r.errorCode === "NoError" ? [] : [r.vendorErrorCode ? `${r.errorCode}:${r.vendorErrorCode}` : r.errorCode];
        if (r.connectorId >= 2) this.ensure(r.connectorId, false);
        this.stops.onStatus(r.connectorId, r.status);
        this.refreshStatus(r.connectorId);
        return;
      }
      case "StartTransaction": {
        const c = this.conn(ev.request.connectorId);
        c.meterStart = ev.request.meterStart;
        c.transactionId = ev.response.transactionId;
        this.update(ev.request.connectorId, { energy_session_wh: 0, energy_total_wh: ev.request.meterStart });
        return;
      }
      case "StopTransaction": {
        const [n, c] = this.byTransaction(ev.request.transactionId);
        if (c?.meterStart !== undefined) this.update(n, { energy_session_wh: ev.request.meterStop - c.meterStart, energy_total_wh: ev.request.meterStop, power_w: 0 });
        if (c) {
          delete c.meterStart;
          delete c.transactionId;
          this.stops.onTransactionEnded(n, ev.request.transactionId);
        }
        return;
      }
      case "MeterValues": {
        const n = ev.request.connectorId;
        for (const entry of ev.request.meterValue) {
          const part = normalizedFrom(samplesOf(entry));
          const start = this.conn(n).meterStart;
          if (typeof part.energy_total_wh === "number" && start !== undefined) part.energy_session_wh = Math.max(0, part.energy_total_wh - start);
          this.stops.onMeter(n, part);
          this.update(n, part);
        }
        return;
      }
      default:
        this.seen(0);
    }
  }

  /** StopTransaction carries no connectorId; the transaction id says which connector it was. */
  private byTransaction(id: number): [number, ConnectorState | undefined] {
    for (const [n, c] of this.connectors) if (c.transactionId === id) return [n, c];
    return [1, undefined];
  }

  private conn(n: number): ConnectorState {
    let c = this.connectors.get(n);
    if (!c) {
      c = { errors: [] };
      this.connectors.set(n, c);
    }
    return c;
  }

  private ensure(n: number, force: boolean): void {
    if (this.handles.has(n) && !force) return;
    this.handles.set(n, this.deps.hub.attach(`${this.deps.identity}_${n}`, { ...this.meta, owner: `ocpp:${this.deps.identity}#${n}`, name: `${this.deps.identity} connector ${n}` }, this.driverFor(n)));
  }

  /** Connector 0 and 1 feed `<id>`; a whole-charger fault or unavailability on 0 wins over 1. */
  private refreshStatus(n: number): void {
    if (n >= 2) {
      const c = this.conn(n);
      this.update(n, this.statusFields(c.status ?? "", c.errors, this.stops.holding(n)));
      return;
    }
    const c0 = this.connectors.get(0);
    const c1 = this.connectors.get(1);
    const s = c0?.status && (WHOLE_CHARGER.has(c0.status) || !c1?.status) ? c0.status : (c1?.status ?? "");
    this.update(1, this.statusFields(s, [...(c0?.errors ?? []), ...(c1?.errors ?? [])], this.stops.holding(1)));
  }

  /**
   * `enabled` says what the charger does, not what was asked: false when the connector (or the whole
   * charger) is Unavailable, or when a disable's energy stop is confirmed and still holds.
   */
  private statusFields(s: string, errors: string[], stopHolds: boolean): Partial<NormalizedState> {
    const out: Partial<NormalizedState> = { status: mapStatus(s), errors };
    if (s === "Unavailable" || stopHolds) out.enabled = false;
    else if (s !== "Faulted" && s !== "") out.enabled = true;
    // As ocpp2mqtt (C2): no flow outside Charging, so stale power readings do not linger.
    if (s !== "Charging") {
      out.power_w = 0;
      out.current_a = [0, null, null];
    }
    return out;
  }

  private update(n: number, part: Partial<NormalizedState>): void {
    const h = this.handles.get(n >= 2 ? n : 1);
    h?.seen();
    h?.update(part);
  }

  private seen(n: number): void {
    this.handles.get(n >= 2 ? n : 1)?.seen();
  }

  private live(): Session {
    const s = this.deps.session();
    if (!s) throw new CommandError(`charger "${this.deps.identity}" is not connected`);
    return s;
  }

  /** Rounded down to the profile's 0.1 A resolution and clamped: never more than was asked. */
  private checkLimit(asked: number): number {
    const { min_current_a: min, max_current_a: max } = this.deps.cfg;
    const rounded = Math.floor(asked * 10) / 10;
    // Raising a limit would give more current than was asked for: only lowering is safe. 0 A pauses.
    if (rounded !== 0 && rounded < min) throw new CommandError(`current_limit_a ${asked} A is below the minimum ${min} A; use 0 to pause or enabled:false to stop`);
    return Math.min(max, rounded);
  }

  /** Transactions the target runs: connector 0 means every connector. */
  private running(connectorId: number): RunningTx[] {
    const out: RunningTx[] = [];
    for (const [n, c] of this.connectors) if (n >= 1 && (connectorId === 0 || n === connectorId) && c.transactionId !== undefined) out.push([n, c.transactionId]);
    return out;
  }

  /**
   * ChangeAvailability, rate-limited per target (the switch is claimed when the command is sent; a
   * rejected or failed flip gives it back, a timed-out one does not). A disable that meets a running
   * transaction also stops its energy (see StopBook) and answers once that is confirmed.
   */
  private async switchEnabled(s: Session, connectorId: number, on: boolean): Promise<Record<string, unknown>> {
    const target = connectorId === 0 ? 1 : connectorId;
    const running = this.running(connectorId);
    // A stop under way or holding: a repeated disable sends nothing, moves no deadline, and answers with that stop's outcome.
    if (!on && this.lastEnabled.get(connectorId) === false && this.stops.covers(running)) return { enabled: "joined", ...(await this.stops.stop(running)) };
    let limiter = this.limiters.get(connectorId);
    if (!limiter) this.limiters.set(connectorId, (limiter = new SwitchLimiter(this.deps.cfg.switch_min_interval_s * 1000)));
    const before = this.lastEnabled.get(connectorId);
    const changes = before !== on;
    const refusal = changes ? limiter.refusal(on ? "enabling" : "disabling") : undefined;
    if (refusal) throw new CommandError(refusal);
    // Claimed before the await: several /set arriving together must not all see a free slot.
    const undo = changes ? limiter.record() : () => {};
    this.lastEnabled.set(connectorId, on);
    const giveBack = () => {
      undo();
      if (this.lastEnabled.get(connectorId) !== on) return;
      if (before === undefined) this.lastEnabled.delete(connectorId);
      else this.lastEnabled.set(connectorId, before);
    };
    let status: string;
    try {
      status = (await s.call("ChangeAvailability", { connectorId, type: on ? "Operative" : "Inoperative" })).status;
    } catch (err) {
      // Stopping the energy of a running transaction must not hinge on the availability change.
      if (on || running.length === 0) {
        // After a timeout the charger may well have switched: the claim stands.
        if (!(err instanceof CallTimeoutError)) giveBack();
        throw err;
      }
      status = answerOf(err);
    }
    if (!on && running.length > 0) return { enabled: status, ...(await this.stops.stop(running)) };
    if (status === "Rejected") {
      giveBack();
      throw new CommandError("charger rejected ChangeAvailability");
    }
    if (on) {
      const resumed = await this.stops.resume(connectorId === 0 ? [...this.connectors.keys()].filter((n) => n >= 1) : [connectorId]);
      this.update(target, { enabled: true });
      return { enabled: status, ...(resumed ? { resume: resumed } : {}) };
    }
    if (status === "Scheduled") {
      throw new CommandError("the charger answered Scheduled: it runs a transaction the bridge has not seen start (begun before a restart?), which it cannot stop by id; energy may flow until that transaction ends");
    }
    this.update(target, { enabled: false });
    return { enabled: status };
  }

  /** `connectorId` 0 acts on the whole charger. */
  private driverFor(connectorId: number): ChargerDriver {
    return {
      set: async (cmd: SetCommand) => {
        const result: Record<string, unknown> = {};
        const s = this.live();
        const target = connectorId === 0 ? 1 : connectorId;
        // Checked before anything is sent: a command that fails validation must switch nothing either.
        const limit = cmd.current_limit_a === undefined ? undefined : this.checkLimit(cmd.current_limit_a);
        if (cmd.enabled !== undefined) Object.assign(result, await this.switchEnabled(s, connectorId, cmd.enabled));
        if (cmd.current_limit_a !== undefined && limit !== undefined) {
          if (limit !== cmd.current_limit_a) result.clamped_from = cmd.current_limit_a;
          // While a stop is under way or holds, no TxProfile may lift its 0 A on the running transaction.
          const running = this.stops.busy(target) ? undefined : this.connectors.get(target)?.transactionId;
          const applied = await applyCurrentLimit(s, this.deps.cfg, connectorId, limit, running);
          this.update(target, { current_limit_a: limit });
          result.current_limit_a = limit;
          result.profile = applied.profile;
          if (applied.tried.length > 1) result.tried = applied.tried;
        }
        return result;
      },
      request: async (action: string, args: Record<string, unknown>) => {
        if (action === "charging_enabled") {
          const on = parseOnOff(args.value);
          this.deps.setChargingEnabled(on);
          return { charging_enabled: on };
        }
        const resolved = resolveAction(action);
        if (!resolved) throw new CommandError(`unknown OCPP 1.6 action "${action}"`);
        const camel = resolved.snake ? (convertKeys(args, snakeToCamel) as Record<string, unknown>) : args;
        const { payload, clamped } = guardProfiles(resolved.action, camel, this.deps.cfg);
        const reply = await this.live().callRaw(resolved.action, payload);
        const result = clamped.length > 0 ? { ...reply, clamped } : reply;
        return resolved.snake ? convertKeys(result, camelToSnake) : result;
      },
    };
  }
}
