// ocpp2mqtt's MQTT layout (spec §7, C1–C5) with the fixes of §8. Commands run through the
// charger's action table (actions.ts), so they pass the same validation, limits and guard as
// `/request`. Publishes go through one MQTT sink in order; charger events wait for them.
import { CommandError, errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { MqttLink } from "../../lib/mqtt.ts";
import type { Publish } from "../../lib/mqtt-types.ts";
import { sanitizeSegment } from "../../lib/topics.ts";
import { formatZodError } from "../../lib/zod-format.ts";
import { resolveName } from "./actions.ts";
import { camelToSnake } from "./commands.ts";
import type { OcppSection } from "./config.ts";
import { CallError, CallTimeoutError, InvalidArgsError, NotConnectedError, UnknownActionError } from "./errors.ts";
import { type CmdErrorBody, type CmdResponse, compatCommandSchema } from "./messages.ts";
import { withoutCovered } from "./compat-filters.ts";
import { compatPairs, samplesOf } from "./meter.ts";
import type { CpEvent } from "./schemas.ts";
import { nowUtc } from "./time.ts";

/** What a compatible command needs of a charger: its action table. */
export interface CompatTarget {
  run(connectorId: number, action: string, args: unknown, snakeResult?: boolean): Promise<unknown>;
}

export interface CompatRouter {
  /** Live identities, most recently connected last. */
  liveIdentities(): string[];
  /** The charger an identity names, if the bridge knows it. */
  target(identity: string): CompatTarget | undefined;
  chargingEnabled(identity: string): boolean;
}

type Value = string | number | boolean;

function text(v: Value): string {
  return typeof v === "string" ? v : String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export class CompatLayer {
  private lastTransaction = new Map<string, number>();
  private lastTraffic = new Map<string, number>();
  private heartbeatOn = new Set<string>();
  /** Retained state topics written per identity, to clear them when it is forgotten. */
  private written = new Map<string, Set<string>>();
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private root: string;
  private readonly out: WritableStreamDefaultWriter<Publish>;

  constructor(private mqtt: MqttLink, private cfg: OcppSection, private router: CompatRouter, private log: Logger) {
    this.root = cfg.compat_base.replace(/\/+$/, "");
    this.out = mqtt.sink().getWriter();
  }

  /** F1: exactly one `/` between base and identity. */
  baseFor(identity: string): string {
    const own = Object.hasOwn(this.cfg.chargers, identity) ? this.cfg.chargers[identity]?.compat_base : undefined;
    if (own) return own.replace(/\/+$/, "");
    return this.cfg.compat_append_identity ? `${this.root}/${sanitizeSegment(identity)}` : this.root;
  }

  start(): void {
    const filters = [this.cfg.compat_append_identity ? `${this.root}/+/cmd/#` : `${this.root}/cmd/#`];
    for (const c of Object.values(this.cfg.chargers)) if (c.compat_base) filters.push(`${c.compat_base.replace(/\/+$/, "")}/cmd/#`);
    // Every matching subscription delivers the message once more: one command must run once.
    for (const f of withoutCovered(filters)) this.mqtt.subscribe(f, (topic, payload) => void this.onCommand(topic, payload));
    // F9: heartbeat goes OFF after two intervals of silence, not only on disconnect.
    const limitMs = 2 * this.cfg.heartbeat_interval_s * 1000;
    this.watchdog = setInterval(() => {
      for (const id of this.heartbeatOn) {
        if (Date.now() - (this.lastTraffic.get(id) ?? 0) > limitMs) {
          this.heartbeatOn.delete(id);
          void this.state(id, [["heartbeat", "OFF"]]);
        }
      }
    }, Math.min(limitMs / 4, 5000));
    const now = nowUtc();
    for (const id of this.cfg.expected_charge_points) {
      void this.state(id, [["connection_state", "DISCONNECTED"], ["service_started", now]]);
    }
  }

  /** Resolves once MQTT has taken the last of them (the session's back-pressure). */
  private state(identity: string, pairs: [string, Value | undefined][]): Promise<void> {
    const base = this.baseFor(identity);
    let topics = this.written.get(identity);
    if (!topics) this.written.set(identity, (topics = new Set()));
    let last: Promise<void> = Promise.resolve();
    for (const [k, v] of pairs) {
      if (v === undefined) continue;
      topics.add(`${base}/state/${k}`);
      last = this.write(`${base}/state/${k}`, text(v), true);
    }
    return last;
  }

  /**
   * The bridge forgot this charge point: its retained state topics are cleared (only where the base
   * is its own; with compat_append_identity off all share one) and nothing of it is kept.
   */
  forget(identity: string): void {
    const topics = this.written.get(identity);
    this.written.delete(identity);
    this.heartbeatOn.delete(identity);
    this.lastTraffic.delete(identity);
    this.lastTransaction.delete(identity);
    if (!topics || !this.cfg.compat_append_identity) return;
    for (const t of topics) void this.write(t, "", true);
  }

  private write(topic: string, payload: string, retain: boolean): Promise<void> {
    return this.out.write({ topic, payload, retain }).catch(() => {});
  }

  onConnected(identity: string): Promise<void> {
    return this.state(identity, [
      ["connection_state", "CONNECTED"],
      ["last_connected", nowUtc()],
      ["charging_enabled", this.router.chargingEnabled(identity) ? "ON" : "OFF"],
    ]);
  }

  stop(): void {
    if (this.watchdog) clearInterval(this.watchdog);
  }

  onDisconnected(identity: string, reason: string): Promise<void> {
    this.heartbeatOn.delete(identity);
    this.lastTraffic.delete(identity);
    return this.state(identity, [
      ["connection_state", "DISCONNECTED"],
      ["last_disconnected", nowUtc()],
      ["disconnect_reason", reason],
      ["power_active_import", "0"],
      ["current_import", "0"],
      // F9: a retained ON must not outlive the connection.
      ["heartbeat", "OFF"],
    ]);
  }

  /** The old socket of a charger that reconnected: it is still online, so only the reason is news. */
  onReplaced(identity: string): Promise<void> {
    return this.state(identity, [["last_disconnected", nowUtc()], ["disconnect_reason", "session_cancelled"]]);
  }

  onChargingEnabled(identity: string, on: boolean): Promise<void> {
    return this.state(identity, [["charging_enabled", on ? "ON" : "OFF"]]);
  }

  onEvent(identity: string, ev: CpEvent): Promise<void> {
    const now = nowUtc();
    this.lastTraffic.set(identity, Date.now());
    switch (ev.action) {
      case "BootNotification": {
        const pairs = Object.entries(ev.request).map(([k, v]): [string, Value | undefined] => [camelToSnake(k), v]);
        // Vendor and model first, as ocpp2mqtt does.
        pairs.sort((a, b) => rank(a[0]) - rank(b[0]));
        return this.state(identity, pairs);
      }
      case "Heartbeat":
        this.heartbeatOn.add(identity);
        return this.state(identity, [["heartbeat", "ON"], ["last_seen", now]]);
      case "StatusNotification": {
        const r = ev.request;
        const charging = r.status === "Charging";
        return this.state(identity, [
          ["error_code", r.errorCode],
          ["status", r.status],
          ["connector_id", r.connectorId],
          ["connection_state", "CONNECTED"],
          ["last_status_change", now],
          ["last_seen", now],
          ["info", r.info],
          ["timestamp", r.timestamp],
          ["vendor_id", r.vendorId],
          ["vendor_error_code", r.vendorErrorCode],
          ["power_active_import", charging ? undefined : "0"],
          ["current_import", charging ? undefined : "0"],
        ]);
      }
      case "Authorize":
        return this.state(identity, [["authorize", ev.response.idTagInfo.status]]);
      case "StartTransaction":
        this.lastTransaction.set(identity, ev.response.transactionId);
        return this.state(identity, [
          ["meter_start_timestamp", ev.request.timestamp],
          ["meter_start", ev.request.meterStart],
          ["reservation_id", ev.request.reservationId],
          ["transaction_id", ev.response.transactionId],
        ]);
      case "StopTransaction":
        return this.state(identity, [
          ["meter_stop_timestamp", ev.request.timestamp],
          ["meter_stop", ev.request.meterStop],
          // F3: absent reason means Local (1.6 text).
          ["meter_stop_reason", ev.request.reason ?? "Local"],
        ]);
      case "MeterValues": {
        const tx = ev.request.transactionId ?? this.lastTransaction.get(identity);
        if (ev.request.transactionId !== undefined) this.lastTransaction.set(identity, ev.request.transactionId);
        const pairs: [string, Value | undefined][] = [["transaction_id", tx]];
        // F3: every meterValue entry, in order.
        for (const entry of ev.request.meterValue) pairs.push(...compatPairs(samplesOf(entry)));
        return this.state(identity, pairs);
      }
      case "DataTransfer":
        return this.state(identity, [["vendor_id", ev.request.vendorId], ["message_id", ev.request.messageId], ["data", ev.request.data]]);
      case "DiagnosticsStatusNotification":
        return this.state(identity, [["diagnostics_status", ev.request.status]]);
      case "FirmwareStatusNotification":
        return this.state(identity, [["firmware_status", ev.request.status]]);
      case "SecurityEventNotification":
        return this.state(identity, [["security_event", ev.request.type], ["security_event_timestamp", ev.request.timestamp], ["security_event_info", ev.request.techInfo]]);
    }
  }

  /** Live charger first (most recent), then any identity whose base matches. */
  private identityFor(base: string): string | undefined {
    const live = this.router.liveIdentities().filter((id) => this.baseFor(id) === base);
    if (live.length > 1) this.log.warn("several chargers share one compat base; commanding the newest", { base, chargers: live });
    if (live.length > 0) return live.at(-1);
    const fromTopic = base.startsWith(this.root + "/") ? base.slice(this.root.length + 1) : undefined;
    return this.cfg.compat_append_identity && fromTopic && !fromTopic.includes("/") ? fromTopic : undefined;
  }

  private async onCommand(topic: string, payload: Uint8Array): Promise<void> {
    const base = topic.replace(/\/cmd(\/.*)?$/, "");
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      // Never the payload itself, in logs or replies: it may hold a secret (e.g. an AuthorizationKey for ChangeConfiguration).
      this.log.warn("compat command is not JSON", { topic, bytes: payload.length });
      return this.respond(base, { action: "", status: "error", error: { code: "InvalidJson", description: "payload is not valid JSON", details: {} } });
    }
    const cmd = compatCommandSchema.safeParse(body);
    if (!cmd.success) {
      this.log.warn("compat command refused", { topic, error: formatZodError(cmd.error) });
      return this.respond(base, { action: "", status: "error", error: { code: "InvalidCommand", description: formatZodError(cmd.error), details: {} } });
    }
    const { action, args, id } = cmd.data;
    const identity = this.identityFor(base);
    try {
      const result = await this.execute(identity, action, args);
      // `clamped` is ours, not the charger's: cmd_response only, cmd_result keeps the charger's fields.
      if (action !== "charging_enabled") await this.publishResult(base, withoutKey(result, "clamped"));
      return this.respond(base, withId({ action, status: "ok", result }, id));
    } catch (err) {
      const e = errorBody(err);
      // ocpp2mqtt's error triple (§7.9); unknown actions only go to cmd_response, as before.
      if (e.code !== "UnknownAction") {
        for (const [k, v] of [["status", "error"], ["action", action], ["error", e.description]] as const) {
          void this.write(`${base}/cmd_result/${k}`, v, true);
        }
      }
      // An unknown action's name and a charger's own error text stay out of the log: either may echo a secret.
      this.log.warn("compat command failed", { base, action: e.code === "UnknownAction" ? undefined : action, code: e.code, error: err instanceof CallError ? undefined : e.description });
      return this.respond(base, withId({ action, status: "error", error: e }, id));
    }
  }

  private async execute(identity: string | undefined, action: string, args: unknown): Promise<Record<string, unknown>> {
    const { key } = resolveName(action);
    if (key === "charging_enabled") {
      const target = identity === undefined ? undefined : this.router.target(identity);
      if (!target) throw new NotConnectedError("no charger known under this topic");
      const r = await target.run(0, key, { value: args });
      const on = isRecord(r) && r.charging_enabled === true;
      return { charging_enabled: on ? "ON" : "OFF" };
    }
    if (args !== undefined && !isRecord(args)) throw new InvalidArgsError("FormationViolation", "args must be a JSON object");
    const target = identity === undefined ? undefined : this.router.target(identity);
    if (!target) throw new NotConnectedError(`charge point ${identity ?? "(unknown)"} is not connected`);
    const result = await target.run(0, action, args, true);
    return isRecord(result) ? result : { result };
  }

  /** F7: one retained topic per present field; lists and objects as compact JSON. */
  private async publishResult(base: string, result: Record<string, unknown>): Promise<void> {
    for (const [k, v] of Object.entries(result)) {
      if (v === undefined || v === null) continue;
      const payload = typeof v === "object" ? JSON.stringify(v) : String(v);
      await this.write(`${base}/cmd_result/${k}`, payload, true);
    }
  }

  private respond(base: string, doc: CmdResponse): Promise<void> {
    if (!this.cfg.compat_cmd_response) return Promise.resolve();
    return this.write(`${base}/cmd_response`, JSON.stringify(doc), false);
  }
}

const FIRST = ["charge_point_vendor", "charge_point_model"];
function rank(k: string): number {
  const i = FIRST.indexOf(k);
  return i < 0 ? FIRST.length : i;
}

function withoutKey(r: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = r;
  return rest;
}

function withId(doc: CmdResponse, id: string | number | undefined): CmdResponse {
  return id === undefined ? doc : { ...doc, id };
}

function errorBody(err: unknown): CmdErrorBody {
  if (err instanceof CallError) return { code: err.code, description: err.message, details: err.details };
  if (err instanceof InvalidArgsError) return { code: err.code, description: err.message, details: {} };
  if (err instanceof CallTimeoutError) return { code: "Timeout", description: err.message, details: {} };
  if (err instanceof UnknownActionError) return { code: "UnknownAction", description: err.message, details: {} };
  if (err instanceof NotConnectedError) return { code: "NotConnected", description: err.message, details: {} };
  // Refused by the bridge (a limit, the switch interval, a profile it must keep).
  if (err instanceof CommandError) return { code: "Refused", description: err.message, details: {} };
  return { code: "InternalError", description: errorMessage(err), details: {} };
}
