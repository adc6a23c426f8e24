import mqtt, { type MqttClient } from "mqtt";

export interface Seen {
  /** Arrival order; compare with `mark()` to ask only for what came after a point. */
  seq: number;
  topic: string;
  text: string;
  retain: boolean;
  at: number;
}

/**
 * A real MQTT client for end-to-end tests: records every message on its subscriptions and waits
 * (bounded) for one that matches.
 */
export class MqttProbe {
  readonly messages: Seen[] = [];
  private waiters: { pred: (m: Seen) => boolean; resolve: (m: Seen) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      const m = { seq: this.messages.length, topic, text: payload.toString(), retain: packet.retain, at: Date.now() };
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  /** `clientId` + `clean: false` give a persistent session that the broker keeps across its restarts. */
  static async connect(url: string, filters: string[], opts: { clientId?: string; clean?: boolean } = {}): Promise<MqttProbe> {
    const client = mqtt.connect(url, {
      clientId: opts.clientId ?? `probe-${Math.random().toString(16).slice(2)}`,
      clean: opts.clean ?? true,
      reconnectPeriod: 200,
      connectTimeout: 5000,
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    const probe = new MqttProbe(client);
    await client.subscribeAsync(filters, { qos: 1 });
    return probe;
  }

  /** The sequence number the next message will get. */
  mark(): number {
    return this.messages.length;
  }

  /** Waits for a message (already seen at or after mark `since`, or future) matching topic and predicate. */
  wait(topic: string | RegExp, pred: (m: Seen) => boolean = () => true, timeoutMs = 10_000, since = 0): Promise<Seen> {
    const match = (m: Seen) => (typeof topic === "string" ? m.topic === topic : topic.test(m.topic)) && m.seq >= since && pred(m);
    const hit = this.messages.find(match);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred: match, resolve: (m: Seen) => { clearTimeout(t); resolve(m); } };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout after ${timeoutMs} ms waiting for ${topic}; last: ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Like wait, with the payload parsed as JSON and the predicate applied to it. */
  async waitJson<T = Record<string, unknown>>(topic: string | RegExp, pred: (v: T) => boolean = () => true, timeoutMs = 10_000, since = 0): Promise<T> {
    const m = await this.wait(topic, (x) => {
      try {
        return pred(JSON.parse(x.text) as T);
      } catch {
        return false;
      }
    }, timeoutMs, since);
    return JSON.parse(m.text) as T;
  }

  publish(topic: string, payload: string | object, opts: { retain?: boolean } = {}): Promise<unknown> {
    return this.client.publishAsync(topic, typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1, retain: opts.retain ?? false });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
