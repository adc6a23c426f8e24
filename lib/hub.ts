import { errorMessage } from "./errors.ts";
import { discoveryMessages } from "./ha-discovery.ts";
import type { Logger } from "./log.ts";
import type { MqttLink } from "./mqtt.ts";
import { emptyState, requestSchema, setCommandSchema, type NormalizedState, type SetCommand } from "./normalized.ts";
import { sanitizeSegment } from "./topics.ts";
import { formatZodError } from "./zod-format.ts";

/** What a protocol gives the hub so MQTT commands can reach one charger. Throw `CommandError` to refuse. */
export interface ChargerDriver {
  set(cmd: SetCommand): Promise<unknown>;
  request(action: string, args: Record<string, unknown>): Promise<unknown>;
}

export interface ChargerMeta {
  protocol: string;
  /**
   * Who this id belongs to, when two native names can map to one topic id (OCPP "CP" connector 2
   * and a charger called "CP_2"). Default: protocol + the raw id.
   */
  owner?: string | undefined;
  name?: string | undefined;
  manufacturer?: string | undefined;
  model?: string | undefined;
  sw_version?: string | undefined;
}

/** A protocol's handle on one registered charger. */
export interface ChargerHandle {
  readonly id: string;
  /** Merge into the normalized state; publishes only when something besides timestamps changed. */
  update(partial: Partial<NormalizedState>): void;
  /** Mark a frame as received (feeds `last_seen`). */
  seen(): void;
  /** The charger went away: availability offline, commands refused until it attaches again. */
  detach(): void;
}

export interface HubSettings {
  base_topic: string;
  republish_s: number;
  discovery: boolean;
  discovery_prefix: string;
}

interface Entry {
  id: string;
  owner: string;
  meta: ChargerMeta;
  driver: ChargerDriver | undefined;
  state: NormalizedState;
  published: string;
  generation: number;
}

const TIMESTAMPS = new Set(["updated_at", "last_seen"]);

function contentKey(s: NormalizedState): string {
  return JSON.stringify(s, (k, v) => (TIMESTAMPS.has(k) ? undefined : v));
}

/** Registry of chargers and the normalized MQTT layout. */
export class Hub {
  private chargers = new Map<string, Entry>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private mqtt: MqttLink, private settings: HubSettings, private log: Logger) {}

  start(): void {
    const base = this.settings.base_topic;
    this.mqtt.subscribe(`${base}/+/set`, (topic, payload) => void this.onSet(topic, payload));
    this.mqtt.subscribe(`${base}/+/request`, (topic, payload) => void this.onRequest(topic, payload));
    if (this.settings.discovery) {
      this.mqtt.subscribe(`${this.settings.discovery_prefix}/status`, (_t, payload) => {
        if (new TextDecoder().decode(payload) === "online") this.publishAllDiscovery();
      });
    }
    this.mqtt.onConnect(() => this.republishAll());
    if (this.settings.republish_s > 0) {
      this.timer = setInterval(() => this.republishAll(), this.settings.republish_s * 1000);
    }
  }

  /** Publishes every charger offline and stops the republish timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const e of this.chargers.values()) {
      if (e.driver) {
        e.driver = undefined;
        e.state = { ...e.state, status: "offline", updated_at: new Date().toISOString() };
        this.publishState(e);
        this.mqtt.publish(this.topic(e.id, "availability"), "offline", { retain: true });
      }
    }
  }

  ids(): string[] {
    return [...this.chargers.keys()];
  }

  state(id: string): NormalizedState | undefined {
    return this.chargers.get(sanitizeSegment(id))?.state;
  }

  attach(rawId: string, meta: ChargerMeta, driver: ChargerDriver): ChargerHandle {
    const id = sanitizeSegment(rawId);
    const owner = meta.owner ?? `${meta.protocol}:${rawId}`;
    let e = this.chargers.get(id);
    if (e?.driver && e.owner !== owner) {
      // Never let a second charger take over a live one's topics and commands.
      this.log.error("charger id already in use by another charger; this one is left out of the normalized layout", { charger: id, owner: e.owner, refused: owner });
      return { id, update: () => {}, seen: () => {}, detach: () => {} };
    }
    if (!e) {
      e = { id, owner, meta, driver, state: emptyState(meta.protocol), published: "", generation: 0 };
      this.chargers.set(id, e);
    } else {
      e.owner = owner;
      e.meta = meta;
      e.driver = driver;
    }
    const entry = e;
    const generation = ++entry.generation;
    // A replaced session must not be able to touch the newer one's state.
    const live = () => entry.generation === generation;
    this.mqtt.publish(this.topic(id, "availability"), "online", { retain: true });
    if (this.settings.discovery) this.publishDiscovery(entry);
    return {
      id,
      update: (partial) => {
        if (!live()) return;
        const now = new Date().toISOString();
        entry.state = { ...entry.state, ...partial, protocol: meta.protocol, updated_at: now };
        const key = contentKey(entry.state);
        if (key !== entry.published) this.publishState(entry);
      },
      seen: () => {
        if (live()) entry.state.last_seen = new Date().toISOString();
      },
      detach: () => {
        if (!live() || !entry.driver) return;
        entry.driver = undefined;
        entry.state = { ...entry.state, status: "offline", updated_at: new Date().toISOString() };
        this.publishState(entry);
        this.mqtt.publish(this.topic(id, "availability"), "offline", { retain: true });
      },
    };
  }

  private topic(id: string, sub?: string): string {
    return sub ? `${this.settings.base_topic}/${id}/${sub}` : `${this.settings.base_topic}/${id}`;
  }

  private publishState(e: Entry): void {
    e.published = contentKey(e.state);
    this.mqtt.publishJson(this.topic(e.id), e.state, { retain: true });
  }

  private republishAll(): void {
    for (const e of this.chargers.values()) {
      this.publishState(e);
      this.mqtt.publish(this.topic(e.id, "availability"), e.driver ? "online" : "offline", { retain: true });
    }
    if (this.settings.discovery) this.publishAllDiscovery();
  }

  private publishAllDiscovery(): void {
    for (const e of this.chargers.values()) this.publishDiscovery(e);
  }

  private publishDiscovery(e: Entry): void {
    for (const m of discoveryMessages(this.settings.discovery_prefix, this.settings.base_topic, e.id, e.meta)) {
      this.mqtt.publishJson(m.topic, m.payload, { retain: true });
    }
  }

  private reply(id: string, transaction: unknown, result: { data: unknown } | { error: string }): void {
    const body: Record<string, unknown> = {};
    if (transaction !== undefined) body.transaction = transaction;
    if ("error" in result) {
      body.status = "error";
      body.error = result.error;
    } else {
      body.status = "ok";
      body.data = result.data ?? null;
    }
    this.mqtt.publishJson(this.topic(id, "response"), body);
  }

  private parse(id: string, payload: Uint8Array): { ok: true; value: unknown } | { ok: false } {
    const text = new TextDecoder().decode(payload);
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // Neither the payload nor the parser's message (V8 quotes the input) is echoed: it may hold a PIN.
      const why = `payload is not valid JSON (${payload.length} bytes)`;
      this.log.warn("command refused", { charger: id, error: why });
      this.reply(id, undefined, { error: why });
      return { ok: false };
    }
  }

  private driverFor(id: string, transaction: unknown): ChargerDriver | undefined {
    const e = this.chargers.get(id);
    const why = !e ? `unknown charger "${id}"` : !e.driver ? `charger "${id}" is offline` : undefined;
    if (why) {
      this.log.warn("command refused", { charger: id, error: why });
      this.reply(id, transaction, { error: why });
      return undefined;
    }
    return e!.driver;
  }

  private async onSet(topic: string, payload: Uint8Array): Promise<void> {
    const id = topic.split("/").at(-2)!;
    const parsed = this.parse(id, payload);
    if (!parsed.ok) return;
    const transaction = transactionOf(parsed.value);
    const body = stripTransaction(parsed.value);
    const cmd = setCommandSchema.safeParse(body);
    if (!cmd.success) {
      const error = `invalid /set command: ${formatZodError(cmd.error)}`;
      this.log.warn("command refused", { charger: id, error });
      this.reply(id, transaction, { error });
      return;
    }
    const driver = this.driverFor(id, transaction);
    if (!driver) return;
    await this.run(id, transaction, () => driver.set(cmd.data));
  }

  private async onRequest(topic: string, payload: Uint8Array): Promise<void> {
    const id = topic.split("/").at(-2)!;
    const parsed = this.parse(id, payload);
    if (!parsed.ok) return;
    const transaction = transactionOf(parsed.value);
    const req = requestSchema.safeParse(parsed.value);
    if (!req.success) {
      const error = `invalid /request: ${formatZodError(req.error)}`;
      this.log.warn("command refused", { charger: id, error });
      this.reply(id, transaction, { error });
      return;
    }
    const driver = this.driverFor(id, transaction);
    if (!driver) return;
    await this.run(id, transaction, () => driver.request(req.data.action, req.data.args ?? {}));
  }

  private async run(id: string, transaction: unknown, fn: () => Promise<unknown>): Promise<void> {
    try {
      this.reply(id, transaction, { data: await fn() });
    } catch (err) {
      this.log.warn("command failed", { charger: id, error: errorMessage(err) });
      this.reply(id, transaction, { error: errorMessage(err) });
    }
  }
}

function transactionOf(v: unknown): unknown {
  return v !== null && typeof v === "object" && "transaction" in v ? (v as { transaction: unknown }).transaction : undefined;
}

function stripTransaction(v: unknown): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const { transaction: _t, ...rest } = v as Record<string, unknown>;
  return rest;
}
