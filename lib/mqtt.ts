import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "./log.ts";
import { OfflineQueue } from "./offline-queue.ts";
import { redactUrl } from "./redact.ts";
import { topicMatches } from "./topics.ts";

export interface MqttSettings {
  url: string;
  client_id: string;
  username?: string | undefined;
  password?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  reject_unauthorized: boolean;
  base_topic: string;
  queue_limit: number;
  keepalive_s: number;
  reconnect_min_s: number;
  reconnect_max_s: number;
}

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
}

export type MessageHandler = (topic: string, payload: Uint8Array) => void;

/** One message on its way to the broker. */
export interface Publish extends PublishOptions {
  topic: string;
  payload: string | Uint8Array;
}

/**
 * Publishes handed to the client and not yet acknowledged, at most, before writers through
 * `writable` have to wait: the point where a slow broker starts slowing the chargers' sockets.
 */
export const PUBLISH_WINDOW = 512;

/**
 * The bridge's one MQTT connection. Publishing never throws and never blocks: while the broker is
 * away, messages wait in a bounded queue and go out, in order, right after the next connect.
 */
export class MqttLink {
  private client: MqttClient | undefined;
  private handlers: { filter: string; handler: MessageHandler }[] = [];
  private connectHooks: (() => void)[] = [];
  private queue: OfflineQueue;
  private closing = false;
  /**
   * True from the end of our connect handler until the link drops. mqtt.js reports `connected`
   * earlier (while it re-sends its own in-flight messages); publishing directly then would let new
   * traffic overtake the offline queue.
   */
  private ready = false;
  private unacked = 0;
  private roomWaiters: (() => void)[] = [];
  published = 0;

  constructor(private settings: MqttSettings, private log: Logger, private onlinePayload: () => { info: string }) {
    this.queue = new OfflineQueue(settings.queue_limit, (gone, total) => {
      if (total === 1 || total % 100 === 0) {
        log.warn("mqtt offline queue full, dropping oldest", { topic: gone.topic, dropped_total: total });
      }
    });
  }

  get connected(): boolean {
    return this.ready && (this.client?.connected ?? false);
  }

  get stateTopic(): string {
    return `${this.settings.base_topic}/bridge/state`;
  }

  get droppedCount(): number {
    return this.queue.dropped;
  }

  get queuedCount(): number {
    return this.queue.size;
  }

  /**
   * A writable for one producer (the hub, a compatible layout): publishes in its order, with
   * back-pressure: a write resolves once the client has room for it.
   */
  sink(): WritableStream<Publish> {
    return new WritableStream<Publish>({
      write: async (p) => {
        await this.room();
        this.publish(p.topic, p.payload, p);
      },
    }, { highWaterMark: 64 });
  }

  /**
   * Resolves when a publish can go out without growing the client's buffers past PUBLISH_WINDOW.
   * At once while the broker is away: the bounded offline queue takes over then.
   */
  room(): Promise<void> {
    if (!this.connected || this.unacked < PUBLISH_WINDOW) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wake(all: boolean): void {
    if (all) for (const w of this.roomWaiters.splice(0)) w();
    else this.roomWaiters.shift()?.();
  }

  /** Starts connecting; resolves on the first connect or rejects after `timeoutMs`. */
  start(timeoutMs = 0): Promise<void> {
    const s = this.settings;
    const opts: IClientOptions = {
      clientId: s.client_id,
      clean: true,
      keepalive: s.keepalive_s,
      reconnectPeriod: s.reconnect_min_s * 1000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      resubscribe: true,
      rejectUnauthorized: s.reject_unauthorized,
      will: { topic: this.stateTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
    };
    if (s.username) opts.username = s.username;
    if (s.password) opts.password = s.password;
    if (s.ca) opts.ca = readFileSync(s.ca);
    if (s.cert) opts.cert = readFileSync(s.cert);
    if (s.key) opts.key = readFileSync(s.key);
    const client = mqtt.connect(s.url, opts);
    this.client = client;
    let backoffMs = s.reconnect_min_s * 1000;
    client.on("connect", () => {
      backoffMs = s.reconnect_min_s * 1000;
      client.options.reconnectPeriod = backoffMs;
      this.log.info("mqtt connected", { url: redactUrl(s.url) });
      this.raw(this.stateTopic, "online", { retain: true, qos: 1 });
      this.raw(`${s.base_topic}/bridge/info`, this.onlinePayload().info, { retain: true, qos: 1 });
      const held = this.queue.drain();
      if (held.length > 0) this.log.info("mqtt flushing offline queue", { messages: held.length });
      for (const q of held) this.raw(q.topic, q.payload, q);
      this.ready = true;
      for (const hook of this.connectHooks) hook();
    });
    client.on("close", () => {
      this.ready = false;
      // Writers waiting for acknowledgements now go to the offline queue instead.
      this.unacked = 0;
      this.wake(true);
      if (this.closing) return;
      // mqtt.js only knows a fixed period; growing it here gives exponential back-off.
      backoffMs = Math.min(backoffMs * 2, s.reconnect_max_s * 1000);
      client.options.reconnectPeriod = backoffMs;
    });
    client.on("offline", () => {
      this.ready = false;
      this.log.warn("mqtt disconnected, will retry", { retry_ms: client.options.reconnectPeriod });
    });
    client.on("error", (err) => this.log.warn("mqtt error", { error: err.message }));
    client.on("message", (topic, payload, packet) => {
      if (packet.retain) {
        // A stale retained command must never switch a contactor after a restart.
        this.log.warn("ignoring retained command", { topic });
        return;
      }
      for (const h of this.handlers) {
        if (topicMatches(h.filter, topic)) h.handler(topic, new Uint8Array(payload));
      }
    });
    if (timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no MQTT connection to ${redactUrl(s.url)} within ${timeoutMs} ms`)), timeoutMs);
      client.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Runs after every (re)connect, once the offline queue is flushed: republish retained state here. */
  onConnect(hook: () => void): void {
    this.connectHooks.push(hook);
  }

  publish(topic: string, payload: string | Uint8Array, opts: PublishOptions = {}): void {
    const qos = opts.qos ?? 1;
    const retain = opts.retain ?? false;
    if (!this.connected) {
      this.queue.push({ topic, payload, qos, retain });
      return;
    }
    this.raw(topic, payload, { qos, retain });
  }

  publishJson(topic: string, value: unknown, opts: PublishOptions = {}): void {
    this.publish(topic, JSON.stringify(value), opts);
  }

  subscribe(filter: string, handler: MessageHandler): void {
    this.handlers.push({ filter, handler });
    this.client?.subscribe(filter, { qos: 1 }, (err) => {
      if (err) this.log.error("mqtt subscribe failed", { filter, error: err.message });
    });
  }

  private raw(topic: string, payload: string | Uint8Array, opts: PublishOptions): void {
    this.published++;
    const client = this.client;
    if (!client) return;
    this.unacked++;
    client.publish(topic, typeof payload === "string" ? payload : Buffer.from(payload), { qos: opts.qos ?? 1, retain: opts.retain ?? false }, (err) => {
      if (this.unacked > 0) this.unacked--;
      this.wake(false);
      if (err && !this.closing) this.log.warn("mqtt publish failed", { topic, error: err.message });
    });
  }

  /** Publishes `offline` (the will only fires on an unclean loss) and disconnects. */
  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.publish(this.stateTopic, "offline", { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.closing = true;
    this.wake(true);
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
}
