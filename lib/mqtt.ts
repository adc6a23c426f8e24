import type { Logger } from "./log.ts";
import { MqttClient } from "./mqtt-client/client.ts";
import { parseBrokerUrl } from "./mqtt-client/transport.ts";
import { OfflineQueue } from "./offline-queue.ts";
import { readPem } from "./pem.ts";
import { redactUrl } from "./redact.ts";
import type { MessageHandler, MqttSettings, Publish, PublishOptions } from "./mqtt-types.ts";
import { topicMatches } from "./topics.ts";

/**
 * Publishes handed to the client and not yet acknowledged, at most, before writers through
 * `writable` have to wait: the point where a slow broker starts slowing the chargers' sockets.
 */
export const PUBLISH_WINDOW = 512;

/** `close()` returns within this, broker or not. */
export const CLOSE_BOUND_MS = 3000;

/** Back-off ceiling while the broker refuses us (auth): retrying faster only fills its logs. */
const REFUSED_CEILING_MS = 60_000;

const utf8 = new TextEncoder();

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/**
 * The bridge's one MQTT connection. Publishing never throws and never blocks: while the broker is
 * away, messages wait in a bounded queue and go out, in order, right after the next connect.
 */
export class MqttLink {
  private client: MqttClient | undefined;
  private handlers: { filter: string; handler: MessageHandler; retained: "clear" | "ignore"; empty: boolean }[] = [];
  private version: 4 | 5 = 5;
  private connectHooks: (() => void)[] = [];
  private queue: OfflineQueue;
  private closing = false;
  /**
   * True from the end of our connect handler until the link drops. The client reports `connected`
   * earlier (from the CONNACK, while it re-sends its unacknowledged publishes and we flush the
   * offline queue); publishing directly then would let new traffic overtake the offline queue.
   */
  private ready = false;
  private unacked = 0;
  private roomWaiters: (() => void)[] = [];
  /** SUBSCRIBEs of this connection not acknowledged yet, and who waits for none. */
  private unackedSubscriptions = 0;
  private subscribedWaiters: (() => void)[] = [];
  published = 0;
  /** Connects after the first one: how often the link came back after a loss. */
  reconnects = 0;
  /** Since when (ms since the epoch) the link has been down; undefined while connected. */
  downSince: number | undefined = Date.now();
  private everConnected = false;

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
    const first = new Promise<void>((resolve) => this.connectHooks.unshift(once(resolve)));
    this.connect(5);
    if (timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no MQTT connection to ${redactUrl(this.settings.url)} within ${timeoutMs} ms`)), timeoutMs);
      void first.then(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * MQTT 5 first: only there does a broker keep the retain flag on live messages ("retain as
   * published"), so a retained command is recognised while connected. A 3.1.1-only broker (e.g.
   * the embedded aedes) refuses it; then 3.1.1 for the life of this link.
   */
  private connect(version: 4 | 5): void {
    const s = this.settings;
    this.version = version;
    const ca = s.ca ? readPem(s.ca, "[mqtt] ca") : undefined;
    const cert = s.cert ? readPem(s.cert, "[mqtt] cert") : undefined;
    const key = s.key ? readPem(s.key, "[mqtt] key") : undefined;
    const broker = parseBrokerUrl(s.url, cert !== undefined && key !== undefined);
    let backoffMs = s.reconnect_min_s * 1000;
    let refused = false;
    const grow = (ceilingMs: number) => {
      backoffMs = Math.min(backoffMs * 2, ceilingMs);
      client.reconnectPeriodMs = backoffMs;
    };
    const client: MqttClient = new MqttClient(
      {
        broker,
        clientId: s.client_id,
        version,
        clean: true,
        keepaliveS: s.keepalive_s,
        connectTimeoutMs: 10_000,
        // A password in the URL wins over the configured one, as it always has.
        username: broker.username ?? (s.username || undefined),
        password: broker.password ?? (s.password || undefined),
        will: { topic: this.stateTopic, payload: new TextEncoder().encode("offline"), qos: 1, retain: true },
        tls: { ca, cert, key, rejectUnauthorized: s.reject_unauthorized },
      },
      {
        connect: () => {
          if (this.everConnected) this.reconnects++;
          this.everConnected = true;
          backoffMs = s.reconnect_min_s * 1000;
          client.reconnectPeriodMs = backoffMs;
          if (refused) this.log.info("mqtt broker accepts us again");
          refused = false;
          this.log.info("mqtt connected", { url: redactUrl(s.url), mqtt_version: version === 5 ? "5" : "3.1.1" });
          // We subscribe ourselves on every connect (with the options of the version in use).
          this.unackedSubscriptions = 0;
          for (const { filter } of this.handlers) this.subscribeOn(client, filter);
          this.raw(this.stateTopic, "online", { retain: true, qos: 1 });
          this.raw(`${s.base_topic}/bridge/info`, this.onlinePayload().info, { retain: true, qos: 1 });
          const held = this.queue.drain();
          if (held.length > 0) this.log.info("mqtt flushing offline queue", { messages: held.length });
          for (const q of held) this.raw(q.topic, q.payload, q);
          this.ready = true;
          this.downSince = undefined;
          for (const hook of [...this.connectHooks]) hook();
        },
        close: () => {
          this.ready = false;
          this.downSince ??= Date.now();
          // Writers waiting for acknowledgements now go to the offline queue instead.
          this.unacked = 0;
          this.wake(true);
          if (this.closing || this.client !== client) return;
          grow(refused ? Math.max(s.reconnect_max_s * 1000, REFUSED_CEILING_MS) : s.reconnect_max_s * 1000);
        },
        offline: () => {
          this.ready = false;
          if (this.client === client) this.log.warn("mqtt disconnected, will retry", { retry_ms: client.reconnectPeriodMs });
        },
        error: (err) => {
          const code = err.code;
          // 1: unacceptable protocol version (3.1.1 brokers), 0x84: unsupported protocol version (MQTT 5).
          if (version === 5 && (code === 1 || code === 0x84)) {
            this.log.info("mqtt broker speaks MQTT 3.1.1 only; using it (retained commands are then only recognised after a reconnect)");
            client.end(true);
            this.connect(4);
            return;
          }
          // 4: bad user name or password, 5: not authorised (3.1.1); 0x86/0x87 in MQTT 5.
          if (code === 4 || code === 5 || code === 0x86 || code === 0x87) {
            refused = true;
            this.log.error("mqtt broker refused the connection; retrying with back-off", { error: err.message, retry_ms: client.reconnectPeriodMs });
            return;
          }
          this.log.warn("mqtt error", { error: err.message });
        },
        message: (topic, payload, retain) => this.deliver(topic, payload, retain),
      },
      s.reconnect_min_s * 1000,
    );
    this.client = client;
    client.start();
  }

  private deliver(topic: string, payload: Uint8Array, retained: boolean): void {
    const matching = this.handlers.filter((h) => topicMatches(h.filter, topic));
    // An empty payload is not a command (it is how retained messages are cleared, our own too),
    // except for handlers that take it as one and check themselves what it may run.
    if (payload.length === 0) {
      if (!retained) for (const h of matching) if (h.empty) h.handler(topic, new Uint8Array(0));
      return;
    }
    if (retained) {
      // A stale retained command must never switch a contactor, neither after a restart nor now.
      this.log.warn("ignoring retained command", { topic });
      if (matching.some((h) => h.retained === "clear")) {
        this.log.info("clearing the retained command from the broker", { topic });
        this.publish(topic, "", { retain: true, qos: 1 });
      }
      return;
    }
    // A copy each: the received bytes may share a buffer with the rest of the packet stream.
    for (const h of matching) h.handler(topic, payload.slice());
  }

  private subscribeOn(client: MqttClient, filter: string): void {
    // No local: our own publishes (e.g. clearing a retained command) do not come back to us.
    const opts = this.version === 5 ? { filter, qos: 1 as const, retainAsPublished: true, noLocal: true } : { filter, qos: 1 as const };
    this.unackedSubscriptions++;
    client.subscribe(opts, (err) => {
      if (err) this.log.error("mqtt subscribe failed", { filter, error: err.message });
      if (this.client !== client || --this.unackedSubscriptions > 0) return;
      for (const w of this.subscribedWaiters.splice(0)) w();
    });
  }

  /** Once the broker has acknowledged every subscription so far: no later message can miss them. */
  subscribed(): Promise<void> {
    if (this.client?.connected && this.unackedSubscriptions === 0) return Promise.resolve();
    return new Promise((resolve) => this.subscribedWaiters.push(resolve));
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

  /**
   * Retained messages are never handed to `handler`. On command topics (the default) one found
   * is also cleared from the broker so it is never replayed anywhere; `retained: "ignore"` only
   * ignores it (for status topics that are not ours, such as Home Assistant's birth message).
   * `empty: true` also hands over empty payloads that arrive without the retain flag (the OpenEVSE
   * gateway runs `rapi/in/$GS` with an empty payload); the handler decides what they may do.
   */
  subscribe(filter: string, handler: MessageHandler, opts: { retained?: "clear" | "ignore"; empty?: boolean } = {}): void {
    this.handlers.push({ filter, handler, retained: opts.retained ?? "clear", empty: opts.empty ?? false });
    if (this.client?.connected) this.subscribeOn(this.client, filter);
  }

  private raw(topic: string, payload: string | Uint8Array, opts: PublishOptions): void {
    this.published++;
    const client = this.client;
    if (!client) return;
    this.unacked++;
    client.publish(topic, typeof payload === "string" ? utf8.encode(payload) : payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false }, (err) => {
      if (this.unacked > 0) this.unacked--;
      this.wake(false);
      if (err && !this.closing) this.log.warn("mqtt publish failed", { topic, error: err.message });
    });
  }

  /**
   * Publishes `offline` (the will only fires on an unclean loss) and disconnects, within
   * CLOSE_BOUND_MS whatever the broker does: with the broker gone, messages that will never be
   * acknowledged must not hold up a shutdown.
   */
  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const deadline = Date.now() + CLOSE_BOUND_MS;
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, CLOSE_BOUND_MS * 0.6);
        client.publish(this.stateTopic, utf8.encode("offline"), { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.closing = true;
    this.wake(true);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, Math.max(0, deadline - Date.now()));
      client.end(false, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
