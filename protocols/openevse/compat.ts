// The OpenEVSE WiFi gateway's MQTT API (spec §10) for one controller: plain status values under
// `<b>/<name>` (on change, plus the periodic full dump), the retained JSON topics that acknowledge
// commands, the announce topic, and the command topics, which run the controller's action table.
// Command errors, which the gateway has no topic for, go to the normalized `<base>/<id>/response`.
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { MqttLink } from "../../lib/mqtt.ts";
import type { Publish } from "../../lib/mqtt-types.ts";
import * as G from "./gateway-commands.ts";
import { changedTopics, type GatewayStatus, statusTopics } from "./gateway-topics.ts";

export interface CompatOptions {
  /** `<b>`: the gateway's base topic. */
  base: string;
  announceTopic: string;
  /** Controller name, the announce document's `id` and `name`. */
  name: string;
  retained: boolean;
  legacy: boolean;
  fullRapi: boolean;
  rapiOutPerCommand: boolean;
  /** Where command errors go (`<mqtt base>/<id>/response`). */
  errorTopic: string;
}

/** Runs one action of the controller's table; a rejection is the error to report. */
export type Dispatch = (action: string, args: Record<string, unknown>) => Promise<unknown>;

/** An `$NK` to a passthrough command: still published on `rapi/out`, as the gateway does. */
export class RapiRefusal extends Error {
  override name = "RapiRefusal";
  constructor(message: string, readonly reply: string) {
    super(message);
  }
}

const decoder = new TextDecoder();

export class OpenEvseCompat {
  private readonly out: WritableStreamDefaultWriter<Publish>;
  private readonly last = new Map<string, string>();

  constructor(private readonly mqtt: MqttLink, private readonly o: CompatOptions, private readonly log: Logger) {
    this.out = mqtt.sink().getWriter();
  }

  private write(sub: string, payload: string, retain: boolean): Promise<void> {
    return this.out.write({ topic: `${this.o.base}/${sub}`, payload, retain }).catch(() => {});
  }

  /** Status values: those that changed, or all of them for the full dump. */
  async status(s: GatewayStatus, full: boolean, extra: [string, string][] = []): Promise<void> {
    const all = [...statusTopics(s, { legacy: this.o.legacy }), ...extra];
    const send = full ? all : changedTopics(this.last, all);
    for (const [k, v] of send) {
      this.last.set(k, v);
      await this.write(k, v, this.o.retained);
    }
  }

  /** Values published on every event whether they changed or not (divert and shaper topics, §10.7). */
  async values(pairs: readonly [string, string][]): Promise<void> {
    for (const [k, v] of pairs) {
      this.last.set(k, v);
      await this.write(k, v, this.o.retained);
    }
  }

  /** `<b>/override`, `<b>/claim`, `<b>/limit`, `<b>/schedule`, `<b>/config`: always retained (§10.3). */
  retainedJson(sub: string, payload: string): Promise<void> {
    if (this.last.get(sub) === payload) return Promise.resolve();
    this.last.set(sub, payload);
    return this.write(sub, payload, true);
  }

  announce(connected: boolean): Promise<void> {
    const doc = connected ? { state: "connected", id: this.o.name, name: this.o.name, mqtt: this.o.base } : { state: "disconnected", id: this.o.name, name: this.o.name };
    return this.out.write({ topic: this.o.announceTopic, payload: JSON.stringify(doc), retain: true }).catch(() => {});
  }

  /** Subscribes the command topics of §10.4. */
  start(dispatch: Dispatch): void {
    const b = this.o.base;
    const on = (sub: string, run: (payload: string, topic: string) => Promise<unknown>, empty = false) =>
      this.mqtt.subscribe(`${b}/${sub}`, (topic, bytes) => {
        const payload = decoder.decode(bytes);
        // Parsers throw synchronously: run inside the promise so every failure becomes a reply.
        Promise.resolve()
          .then(() => run(payload, topic))
          .catch((err: unknown) => this.error(topic, errorMessage(err)));
      }, { empty });
    const parsed = <T>(r: G.Parsed<T>): T => {
      if (!r.ok) throw new Error(r.error);
      return r.value;
    };
    on("override/set", (p) => {
      const c = parsed(G.parseOverrideSet(p));
      return c.kind === "set" ? dispatch("override", c.patch) : dispatch(c.kind === "toggle" ? "override_toggle" : "override_clear", {});
    });
    on("claim/set", (p) => {
      const c = parsed(G.parseClaimSet(p));
      return c.kind === "set" ? dispatch("claim", c.patch) : dispatch("claim_release", {});
    });
    on("divertmode/set", (p) => dispatch("divert_mode", { mode: parsed(G.parseDivertModeSet(p)) }));
    on("shaper/set", (p) => dispatch("shaper", { enabled: parsed(G.parseShaperSet(p)) }));
    on("limit/set", (p) => {
      const l = parsed(G.parseLimitSet(p));
      return l === null ? dispatch("limit_clear", {}) : dispatch("limit", { type: l.type, value: l.value, auto_release: l.auto_release });
    });
    on("restart", (p) => dispatch("restart", { device: parsed(G.parseRestart(p)) }));
    on("rapi/in/#", async (p, topic) => {
      const tail = topic.slice(`${b}/rapi/in/`.length);
      const cmd = parsed(G.parseRapiIn(tail, p, this.o.fullRapi));
      // An empty message is also how a retained one is deleted: it may only read (§10.5 notes the re-trigger).
      if (p === "" && !cmd.code.startsWith("G")) throw new Error(`rapi/in: an empty payload runs only $G… commands; send $${cmd.code} with a payload (a single space will do)`);
      const text = [`$${cmd.code}`, ...(cmd.params ?? [])].join(" ");
      try {
        const r = await dispatch("rapi", { command: text });
        const reply = typeof r === "object" && r !== null && "reply" in r && typeof r.reply === "string" ? r.reply : "";
        await this.rapiOut(cmd.code, reply);
      } catch (err) {
        if (err instanceof RapiRefusal) await this.rapiOut(cmd.code, err.reply);
        throw err;
      }
    }, true);
  }

  /** The raw reply on the shared `rapi/out` (§10.5) and, opted in, on `rapi/out/$<code>`. */
  private async rapiOut(code: string, reply: string): Promise<void> {
    if (reply === "") return;
    await this.write("rapi/out", reply, false);
    if (this.o.rapiOutPerCommand) await this.write(`rapi/out/$${code}`, reply, false);
  }

  private error(topic: string, error: string): void {
    this.log.warn("openevse command refused", { topic, error });
    void this.out.write({ topic: this.o.errorTopic, payload: JSON.stringify({ status: "error", source: topic, error }), retain: false }).catch(() => {});
  }
}
