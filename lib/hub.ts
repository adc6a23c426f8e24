// The registry of chargers and the normalized MQTT layout. Protocols attach chargers and write
// their events through handles; every event goes through one WritableStream (the hub's sink) into
// MQTT's writable, in order and with back-pressure. Commands come the other way through
// hub-commands.ts.
import { errorMessage, ignore } from "./errors.ts";
import { discoveryMessages } from "./ha-discovery.ts";
import { type Command, COMMAND_QUEUE, CommandQueue, parseCommand, type Reply, replyBody } from "./hub-commands.ts";
import type { Logger } from "./log.ts";
import { Counter } from "./metrics.ts";
import type { MqttLink } from "./mqtt.ts";
import type { Publish } from "./mqtt-types.ts";
import { emptyState, type NormalizedState } from "./normalized.ts";
import type { ChargerView, CommandSource, HubObserver } from "./hub-view.ts";
import { type Entry, type HandleOps, HubHandle, type HubEvent } from "./hub-entry.ts";
import type { ChargerDriver, ChargerHandle, ChargerMeta, ChargerRegistry } from "./protocol.ts";
import { sanitizeSegment } from "./topics.ts";

export interface HubSettings {
  base_topic: string;
  republish_s: number;
  discovery: boolean;
  discovery_prefix: string;
}

function viewOf(e: Entry): ChargerView {
  return { id: e.id, meta: e.meta, online: e.driver !== undefined, state: e.state };
}

/** Ids that would put a charger's topics under the bridge's own (`<base>/bridge/state` …). */
const RESERVED_IDS = new Set(["bridge"]);

export class Hub implements ChargerRegistry {
  private chargers = new Map<string, Entry>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly out: WritableStreamDefaultWriter<Publish>;
  private readonly events: WritableStreamDefaultWriter<HubEvent>;
  private observers = new Set<HubObserver>();
  /** What every charger's handle may do to the hub: one object for all of them. */
  private readonly ops: HandleOps = { send: (ev) => this.send(ev), goOffline: (e) => this.goOffline(e) };
  /** Commands whose reply goes back to their caller (the status page) instead of `/response`. */
  private direct = new WeakMap<Command, (r: Reply) => void>();
  /** Every command's outcome: ok, failed (refused or failed by the charger) or rejected before reaching it. */
  readonly commandsTotal = new Counter("evse2mqtt_commands_total", "Commands by source and result: ok, failed (refused or failed by the charger or its guard), rejected (invalid, unknown or offline charger, queue full).");

  constructor(private mqtt: MqttLink, private settings: HubSettings, private log: Logger) {
    this.out = mqtt.sink().getWriter();
    // Events from every charger wait here for MQTT: enough to ride out a slow moment of the broker,
    // few enough that a queue under load does not turn into latency (see EVENTS_AHEAD in OCPP).
    const sink = new WritableStream<HubEvent>({ write: (ev) => this.emit(ev) }, { highWaterMark: 64 });
    this.events = sink.getWriter();
  }

  start(): void {
    const base = this.settings.base_topic;
    this.mqtt.subscribe(`${base}/+/set`, (topic, payload) => this.onCommand("set", topic, payload));
    this.mqtt.subscribe(`${base}/+/request`, (topic, payload) => this.onCommand("request", topic, payload));
    if (this.settings.discovery) {
      this.mqtt.subscribe(`${this.settings.discovery_prefix}/status`, (_t, payload) => {
        if (new TextDecoder().decode(payload) === "online") this.publishAllDiscovery();
      }, { retained: "ignore" });
    }
    this.mqtt.onConnect(() => this.republishAll());
    if (this.settings.republish_s > 0) {
      this.timer = setInterval(() => this.republishAll(), this.settings.republish_s * 1000);
    }
  }

  /** Publishes every charger offline, stops the republish timer and waits until MQTT has it all. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const e of this.chargers.values()) {
      if (e.driver) this.goOffline(e);
      void e.commands?.close();
    }
    await this.send({ kind: "flush" });
  }

  ids(): string[] {
    return [...this.chargers.keys()];
  }

  state(id: string): NormalizedState | undefined {
    return this.chargers.get(sanitizeSegment(id))?.state;
  }

  view(id: string): ChargerView | undefined {
    const e = this.chargers.get(sanitizeSegment(id));
    return e && viewOf(e);
  }

  /** Calls `fn` after every state and availability publish; returns the unsubscribe. */
  observe(fn: HubObserver): () => void {
    this.observers.add(fn);
    return () => void this.observers.delete(fn);
  }

  /**
   * A command from outside MQTT (the status page): parsed by the same schema, run through the
   * charger's queue, guard and rate limits exactly like `/set` and `/request`; resolves with the reply.
   */
  command(rawId: string, kind: "set" | "request", payload: Uint8Array, source: CommandSource = "web"): Promise<Reply> {
    const parsed = parseCommand(kind, sanitizeSegment(rawId), payload);
    return new Promise<Reply>((resolve) => {
      const done = (r: Reply, result: string) => {
        this.commandsTotal.inc({ source, result });
        resolve(r);
      };
      if ("error" in parsed) return done({ error: parsed.error }, "rejected");
      this.direct.set(parsed.command, (r) => done(r, "error" in r ? "failed" : "ok"));
      const error = this.enqueue(parsed.command);
      if (error !== undefined) done({ error }, "rejected");
    });
  }

  attach(rawId: string, meta: ChargerMeta, driver: ChargerDriver): ChargerHandle {
    const id = sanitizeSegment(rawId);
    const owner = meta.owner ?? `${meta.protocol}:${rawId}`;
    // `<base>/bridge/…` belongs to the bridge itself, whatever a protocol calls its charger.
    if (RESERVED_IDS.has(id)) {
      this.log.error("charger id is reserved for the bridge's own topics; this charger is left out of the normalized layout", { charger: id, owner });
      return { id, update: () => Promise.resolve(), seen: ignore, detail: () => Promise.resolve(), detach: ignore };
    }
    let e = this.chargers.get(id);
    if (e?.driver && e.owner !== owner) {
      // Never let a second charger take over a live one's topics and commands.
      this.log.error("charger id already in use by another charger; this one is left out of the normalized layout", { charger: id, owner: e.owner, refused: owner });
      return { id, update: () => Promise.resolve(), seen: ignore, detail: () => Promise.resolve(), detach: ignore };
    }
    if (!e) {
      e = { id, owner, meta, driver, state: emptyState(meta.protocol), published: false, details: undefined, discovered: undefined, generation: 0, commands: undefined };
      this.chargers.set(id, e);
    } else {
      e.owner = owner;
      e.meta = meta;
      e.driver = driver;
    }
    const entry = e;
    const generation = ++entry.generation;
    this.send({ kind: "availability", entry });
    if (this.settings.discovery) this.send({ kind: "discovery", entry });
    return new HubHandle(this.ops, entry, generation);
  }

  async remove(rawId: string): Promise<boolean> {
    const id = sanitizeSegment(rawId);
    const e = this.chargers.get(id);
    if (!e) return false;
    this.chargers.delete(id);
    // Handles still held by the protocol go dead: a late update must not resurrect the topics.
    e.generation++;
    e.driver = undefined;
    void e.commands?.close();
    this.log.info("charger removed", { charger: id });
    await this.send({ kind: "clear", entry: e });
    return true;
  }

  private goOffline(e: Entry): void {
    e.driver = undefined;
    e.state = { ...e.state, status: "offline", updated_at: new Date().toISOString() };
    e.published = true;
    this.send({ kind: "state", entry: e });
    this.send({ kind: "availability", entry: e });
  }

  private send(ev: HubEvent): Promise<void> {
    return this.events.write(ev).catch(ignore);
  }

  private topic(id: string, sub?: string): string {
    return sub ? `${this.settings.base_topic}/${id}/${sub}` : `${this.settings.base_topic}/${id}`;
  }

  /** The sink: one hub event becomes its MQTT publishes, written in order with back-pressure. */
  private async emit(ev: HubEvent): Promise<void> {
    switch (ev.kind) {
      case "state":
        await this.publish(this.topic(ev.entry.id), JSON.stringify(ev.entry.state), true);
        return this.notify(ev.entry.id, ev.entry);
      case "availability":
        await this.publish(this.topic(ev.entry.id, "availability"), ev.entry.driver ? "online" : "offline", true);
        return this.notify(ev.entry.id, ev.entry);
      case "detail":
        return this.publish(this.topic(ev.entry.id, ev.sub), ev.payload, true);
      case "discovery": {
        const e = ev.entry;
        const meta = e.meta;
        const now = new Set<string>();
        for (const m of discoveryMessages(this.settings.discovery_prefix, this.settings.base_topic, e.id, meta)) {
          now.add(m.topic);
          await this.publish(m.topic, JSON.stringify(m.payload), true);
        }
        // Entities the charger no longer has (its capabilities changed) are removed from HA.
        for (const t of this.discoveryTopics(e.id, e.discovered)) if (!now.has(t)) await this.publish(t, "", true);
        e.discovered = meta;
        return;
      }
      case "reply":
        return this.publish(this.topic(ev.id, "response"), JSON.stringify(ev.body), false);
      case "clear": {
        const e = ev.entry;
        const topics = new Set([...this.discoveryTopics(e.id, e.discovered), ...this.discoveryTopics(e.id, e.meta)]);
        for (const t of topics) await this.publish(t, "", true);
        for (const sub of e.details?.keys() ?? []) await this.publish(this.topic(e.id, sub), "", true);
        await this.publish(this.topic(e.id, "availability"), "", true);
        await this.publish(this.topic(e.id), "", true);
        return this.notify(e.id, undefined);
      }
      case "flush":
        return;
    }
  }

  /** The discovery config topics `meta` gives the charger (none for none). */
  private discoveryTopics(id: string, meta: ChargerMeta | undefined): string[] {
    return meta ? discoveryMessages(this.settings.discovery_prefix, this.settings.base_topic, id, meta).map((m) => m.topic) : [];
  }

  private notify(id: string, entry: Entry | undefined): void {
    if (this.observers.size === 0) return;
    const view = entry && viewOf(entry);
    for (const fn of this.observers) {
      try {
        fn(id, view);
      } catch (err) {
        // An observer's failure must never stop the sink that feeds MQTT.
        this.log.warn("hub observer failed", { charger: id, error: errorMessage(err) });
      }
    }
  }

  private publish(topic: string, payload: string, retain: boolean): Promise<void> {
    return this.out.write({ topic, payload, retain }).catch(ignore);
  }

  private republishAll(): void {
    for (const e of this.chargers.values()) {
      e.published = true;
      this.send({ kind: "state", entry: e });
      this.send({ kind: "availability", entry: e });
    }
    if (this.settings.discovery) this.publishAllDiscovery();
  }

  /** Sends every charger's discovery again (the `republish_discovery` bridge request). */
  republishDiscovery(): number {
    if (!this.settings.discovery) return 0;
    this.publishAllDiscovery();
    return this.chargers.size;
  }

  /** Every known charger with its protocol and whether it is connected. */
  list(): { id: string; protocol: string; online: boolean }[] {
    return [...this.chargers.values()].map((e) => ({ id: e.id, protocol: e.meta.protocol, online: e.driver !== undefined }));
  }

  private publishAllDiscovery(): void {
    for (const e of this.chargers.values()) this.send({ kind: "discovery", entry: e });
  }

  /** A command's one reply: to its direct caller, else on `/response`. */
  private answer(c: Command, r: Reply): void {
    const direct = this.direct.get(c);
    if (direct) return direct(r);
    this.commandsTotal.inc({ source: "mqtt", result: "error" in r ? "failed" : "ok" });
    this.reply(c, r);
  }

  private reply(c: { id: string; transaction: unknown }, r: Reply): void {
    void this.send({ kind: "reply", id: c.id, body: replyBody(c.transaction, r) });
  }

  /** Queues `c` on its charger; the refusal text when it cannot be. */
  private enqueue(c: Command): string | undefined {
    const e = this.chargers.get(c.id);
    if (!e) return `unknown charger "${c.id}"`;
    if (!e.driver) return `charger "${c.id}" is offline`;
    e.commands ??= new CommandQueue(() => e.driver, (cmd, r) => this.answer(cmd, r), this.log);
    if (!e.commands.offer(c)) return `charger "${c.id}" is busy: ${COMMAND_QUEUE} commands already waiting`;
    return undefined;
  }

  private onCommand(kind: "set" | "request", topic: string, payload: Uint8Array): void {
    const id = topic.split("/").at(-2) ?? "";
    const parsed = parseCommand(kind, id, payload);
    if ("error" in parsed) return this.refuse(id, parsed.transaction, parsed.error);
    const c: Command = parsed.command;
    const error = this.enqueue(c);
    if (error !== undefined) this.refuse(id, c.transaction, error);
  }

  private refuse(id: string, transaction: unknown, error: string): void {
    this.log.warn("command refused", { charger: id, error });
    this.commandsTotal.inc({ source: "mqtt", result: "rejected" });
    this.reply({ id, transaction }, { error });
  }
}
