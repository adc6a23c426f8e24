// A small MQTT client: one connection at a time to one broker, reconnecting after
// `reconnectPeriodMs` (which its owner may change between attempts). QoS 1 publishes not yet
// acknowledged when a connection drops are sent again, first thing, on the next one.
import { errorMessage } from "../errors.ts";
import type { Link } from "../link.ts";
import type { TlsClientOptions } from "../sockets.ts";
import { PacketSplitter } from "./decode.ts";
import { joinBytes } from "../bytes.ts";
import { encodePacket } from "./encode.ts";
import { type BadPacket, CONNACK_REASONS, type Incoming, type Outgoing, type Publish, type Subscription, type Version, type Will } from "./packets.ts";
import { type BrokerAddress, openTransport, unreachable } from "./transport.ts";

export interface ClientOptions {
  broker: BrokerAddress;
  clientId: string;
  version: Version;
  clean: boolean;
  /** Seconds; 0 = no keepalive pings. */
  keepaliveS: number;
  /** Dial plus CONNACK must take no longer. */
  connectTimeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
  will?: Will | undefined;
  tls: TlsClientOptions;
}

/** A broker's refusal (`code`: CONNACK return or reason code) or any other trouble worth a log line. */
export class MqttError extends Error {
  override name = "MqttError";
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

export interface ClientEvents {
  /** CONNACK accepted and the unacknowledged QoS 1 publishes of the last connection sent again. */
  connect(): void;
  /** A connection, or an attempt at one, ended. */
  close(): void;
  /** The first close after being connected (or after the first attempt): once per outage. */
  offline(): void;
  error(err: MqttError): void;
  message(topic: string, payload: Uint8Array, retain: boolean): void;
}

type Done = (err?: Error) => void;

/** One transport connection and what belongs to it alone. */
interface Conn {
  link: Link;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  accepted: boolean;
  ended: boolean;
  /** Keepalive ticks (every keepalive / 2) since we last sent something or heard a PINGRESP. */
  idleTicks: number;
  timers: ReturnType<typeof setTimeout>[];
  /** Packets waiting for the next write (one write per microtask turn, whatever the count). */
  out: Uint8Array[];
  written: Done[];
}

export class MqttClient {
  reconnectPeriodMs: number;
  private conn: Conn | undefined;
  /** `sent`: went out on some connection, so a repeat carries DUP. */
  private inflight = new Map<number, { packet: Publish; done: Done | undefined; sent: boolean }>();
  private subacks = new Map<number, Done | undefined>();
  private lastId = 0;
  private ending = false;
  private reconnecting = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private whenIdle: (() => void) | undefined;

  constructor(private readonly opts: ClientOptions, private readonly events: ClientEvents, reconnectPeriodMs: number) {
    this.reconnectPeriodMs = reconnectPeriodMs;
  }

  get connected(): boolean {
    return this.conn?.accepted === true && !this.conn.ended;
  }

  get version(): Version {
    return this.opts.version;
  }

  start(): void {
    if (this.ending || this.conn || this.retry) return;
    void this.dial();
  }

  /** QoS 1 is kept until acknowledged, across reconnects; QoS 0 is dropped while disconnected. */
  publish(topic: string, payload: Uint8Array, opts: { qos: 0 | 1; retain: boolean }, done?: Done): void {
    if (opts.qos === 0) {
      const conn = this.conn;
      if (!conn?.accepted || conn.ended) return done?.(new Error("not connected"));
      this.send(conn, { type: "publish", topic, payload, qos: 0, retain: opts.retain, dup: false }, done);
      return;
    }
    const id = this.nextId();
    if (id === undefined) return done?.(new Error("no packet identifier free: 65535 publishes unacknowledged"));
    const packet: Publish = { type: "publish", topic, payload, qos: 1, retain: opts.retain, dup: false, id };
    const sent = this.connected && this.conn !== undefined;
    this.inflight.set(id, { packet, done, sent });
    if (sent && this.conn) this.send(this.conn, packet);
  }

  /** Only while connected (a subscription lives as long as its connection: resubscribe on `connect`). */
  subscribe(sub: Subscription, done?: Done): void {
    const conn = this.conn;
    const id = this.nextId();
    if (!conn?.accepted || conn.ended || id === undefined) return done?.(new Error("not connected"));
    this.subacks.set(id, done);
    this.send(conn, { type: "subscribe", id, subscriptions: [sub] });
  }

  /**
   * Stops for good; after this no event fires. `force`: drop the connection now. Otherwise wait until
   * every QoS 1 publish is acknowledged (or the connection is gone), then DISCONNECT.
   */
  end(force: boolean, done?: () => void): void {
    this.ending = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    const conn = this.conn;
    if (!conn || conn.ended) {
      this.closed();
      return done?.();
    }
    void conn.link.closed.then(() => done?.());
    const disconnect = () => {
      this.whenIdle = undefined;
      if (conn.ended) return;
      if (conn.accepted) this.send(conn, { type: "disconnect", code: 0 });
      // Closing the writer sends what is queued, then ends the stream.
      this.flush(conn);
      void conn.writer.close().catch(() => {}).finally(() => this.drop(conn, "client disconnected"));
    };
    if (force) this.drop(conn, "client ended");
    else if (this.inflight.size === 0 || !conn.accepted) disconnect();
    else this.whenIdle = disconnect;
  }

  private nextId(): number | undefined {
    for (let i = 0; i < 0xffff; i++) {
      this.lastId = this.lastId >= 0xffff ? 1 : this.lastId + 1;
      if (!this.inflight.has(this.lastId) && !this.subacks.has(this.lastId)) return this.lastId;
    }
    return undefined;
  }

  private async dial(): Promise<void> {
    const o = this.opts;
    let conn: Conn | undefined;
    const timer = setTimeout(() => {
      if (conn) this.drop(conn, "no CONNACK in time");
    }, o.connectTimeoutMs);
    let link: Link;
    try {
      link = await openTransport(o.broker, o.tls, o.connectTimeoutMs);
    } catch (err) {
      clearTimeout(timer);
      if (this.ending) return;
      const text = errorMessage(err);
      if (!unreachable(text)) this.events.error(new MqttError(text));
      this.closed();
      return;
    }
    if (this.ending) {
      clearTimeout(timer);
      link.close("client ended");
      return;
    }
    const c: Conn = { link, writer: link.writable.getWriter(), accepted: false, ended: false, idleTicks: 0, timers: [timer], out: [], written: [] };
    conn = c;
    this.conn = c;
    const password = o.password !== undefined ? new TextEncoder().encode(o.password) : undefined;
    this.send(c, { type: "connect", version: o.version, clientId: o.clientId, clean: o.clean, keepalive: o.keepaliveS, username: o.username, password, will: o.will });
    void link.closed.then((info) => this.drop(c, info.reason));
    void this.read(c);
  }

  private async read(conn: Conn): Promise<void> {
    const splitter = new PacketSplitter(() => this.opts.version);
    const reader = conn.link.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || conn.ended) break;
        for (const p of splitter.push(value)) {
          if (conn.ended) break;
          this.receive(conn, p);
        }
      }
    } catch {
      // the transport failed: handled as a close below
    }
    this.drop(conn, "connection closed");
  }

  private receive(conn: Conn, p: Incoming | BadPacket): void {
    switch (p.type) {
      case "connack":
        return this.connack(conn, p.code);
      case "publish":
        if (p.qos === 2) {
          // We subscribe with QoS 1 at most, so a broker must never send this.
          this.fail(conn, `broker sent a QoS 2 message on ${p.topic}, above the QoS 1 subscribed`);
          return;
        }
        if (p.qos === 1 && p.id !== undefined) this.send(conn, { type: "puback", id: p.id, code: 0 });
        if (!this.ending) this.events.message(p.topic, p.payload, p.retain);
        return;
      case "puback": {
        const f = this.inflight.get(p.id);
        if (!f) return;
        this.inflight.delete(p.id);
        f.done?.(p.code >= 0x80 ? new MqttError(`publish to ${f.packet.topic} refused by the broker (reason 0x${p.code.toString(16)})`, p.code) : undefined);
        if (this.inflight.size === 0) this.whenIdle?.();
        return;
      }
      case "suback": {
        const done = this.subacks.get(p.id);
        this.subacks.delete(p.id);
        const bad = p.codes.find((c) => c >= 0x80);
        done?.(bad !== undefined ? new MqttError(`subscription refused by the broker (code 0x${bad.toString(16)})`, bad) : undefined);
        return;
      }
      case "pingresp":
        conn.idleTicks = 0;
        return;
      case "disconnect":
        if (!this.ending) this.events.error(new MqttError(`broker disconnected us: ${CONNACK_REASONS[p.code] ?? "reason"} (0x${p.code.toString(16)})`, p.code));
        this.drop(conn, "broker sent DISCONNECT");
        return;
      case "bad":
        this.fail(conn, `unreadable packet from the broker at byte ${p.offset}: ${p.error}`);
        return;
    }
  }

  private connack(conn: Conn, code: number): void {
    if (conn.accepted) return this.fail(conn, "second CONNACK");
    if (code !== 0) {
      if (!this.ending) this.events.error(new MqttError(`Connection refused: ${CONNACK_REASONS[code] ?? "unknown reason"} (code ${code})`, code));
      this.drop(conn, "connection refused");
      return;
    }
    for (const t of conn.timers) clearTimeout(t);
    conn.timers = [];
    conn.accepted = true;
    this.reconnecting = false;
    if (this.opts.keepaliveS > 0) {
      // As the spec wants: a PINGREQ after a keepalive with nothing sent; no answer within half of one ends the link.
      conn.timers.push(
        setInterval(() => {
          conn.idleTicks++;
          if (conn.idleTicks === 2) this.send(conn, { type: "pingreq" });
          else if (conn.idleTicks > 2) this.drop(conn, "no PINGRESP: keepalive timeout");
        }, (this.opts.keepaliveS * 1000) / 2),
      );
    }
    for (const f of this.inflight.values()) {
      this.send(conn, { ...f.packet, dup: f.sent });
      f.sent = true;
    }
    if (!this.ending) this.events.connect();
  }

  private send(conn: Conn, p: Outgoing, written?: Done): void {
    if (conn.ended) return written?.(new Error("connection closed"));
    // Only a PINGREQ leaves the count running: its answer is what resets it.
    if (p.type !== "pingreq") conn.idleTicks = 0;
    conn.out.push(encodePacket(p, this.opts.version));
    if (written) conn.written.push(written);
    // After the current turn of the event loop rather than the current task: under load every
    // socket's events in one turn go out in one write (OCPP MeterValues burst +35 %/s; a
    // microtask flushed each charger's publishes apart, one syscall each).
    if (conn.out.length === 1) setImmediate(() => this.flush(conn));
  }

  /** Everything queued in one write: a burst of publishes costs one syscall, not one each. */
  private flush(conn: Conn): void {
    if (conn.out.length === 0 || conn.ended) return;
    const parts = conn.out;
    const written = conn.written;
    conn.out = [];
    conn.written = [];
    conn.writer.write(parts.length === 1 && parts[0] ? parts[0] : joinBytes(parts)).then(
      () => {
        for (const w of written) w();
      },
      (err: unknown) => {
        const e = new Error(errorMessage(err));
        for (const w of written) w(e);
        this.drop(conn, `write failed: ${e.message}`);
      },
    );
  }

  private fail(conn: Conn, why: string): void {
    if (!this.ending) this.events.error(new MqttError(why));
    this.drop(conn, why);
  }

  /** Ends `conn` (idempotent): its timers, its queued writes, then the close of this attempt. */
  private drop(conn: Conn, why: string): void {
    if (conn.ended) return;
    conn.ended = true;
    for (const t of conn.timers) clearTimeout(t);
    conn.timers = [];
    const e = new Error(`connection closed: ${why}`);
    for (const w of conn.written.splice(0)) w(e);
    conn.out = [];
    conn.link.close(why);
    if (this.conn === conn) this.conn = undefined;
    // Subscriptions die with their connection; their callers resubscribe on the next one.
    this.subacks.clear();
    this.whenIdle?.();
    this.closed();
  }

  /** After any attempt or connection ended: tell the owner, then try again after the period. */
  private closed(): void {
    if (this.ending) {
      for (const f of this.inflight.values()) f.done?.(new Error("client ended"));
      this.inflight.clear();
      return;
    }
    const delay = this.reconnectPeriodMs;
    this.events.close();
    if (!this.reconnecting) {
      this.reconnecting = true;
      this.events.offline();
    }
    if (this.ending || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.ending) void this.dial();
    }, delay);
  }
}
