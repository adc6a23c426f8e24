// One charger's TCP session: handshake, polling that feeds the charger's 10 s watchdog, and
// strictly one request in flight (the protocol has no request ids: a reply is matched by its type,
// spec §6, G11). Frames in, session events out, as a stream: whoever reads `events` slowly slows
// the reading of the socket.
import { type Step, transformReadable } from "../../lib/transform.ts";
import { errorMessage, ignore, type ProtocolError, TimeoutError } from "../../lib/errors.ts";
import { Exchange, type ExchangeOptions } from "../../lib/exchange.ts";
import type { Link } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import type { ChargerItem } from "./codec.ts";
import type { Handshake } from "./framing.ts";
import { encodeRequest, expectedReply, type ChargerMessage, type ServerRequest } from "./wire.ts";

export interface SessionOptions {
  handshakeTimeoutMs: number;
  replyTimeoutMs: number;
  /** 0 = no polling (then an MQTT client must send something every < 10 s). */
  pollIntervalMs: number;
  /** Requests waiting beyond this are refused rather than piling up behind a slow charger. */
  maxQueue: number;
}

export type SessionEvent =
  | { kind: "handshake"; handshake: Handshake }
  | { kind: "message"; message: ChargerMessage }
  | { kind: "bad"; error: ProtocolError }
  /** Always the last event. */
  | { kind: "closed"; reason: string };

type Reply = ChargerMessage["type"];

export class DehneSession {
  handshake: Handshake | undefined;
  readonly events: ReadableStream<SessionEvent>;
  private readonly exchange: Exchange<ServerRequest, ChargerMessage, Reply>;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private closedReason: string | undefined;
  /** Collect requests queued or in flight: a poll is not doubled. */
  private collects = 0;
  /** Frames received, for `last_seen`-style bookkeeping and tests. */
  frames = 0;

  constructor(private readonly link: Link<ChargerItem, ServerRequest>, private readonly opts: SessionOptions, private readonly log: Logger) {
    this.exchange = new Exchange<ServerRequest, ChargerMessage, Reply>(new DehneWire(this, link.writable.getWriter(), opts));
    this.handshakeTimer = setTimeout(handshakeDue, opts.handshakeTimeoutMs, this);
    this.events = transformReadable<ChargerItem, SessionEvent>(link.readable, new SessionSteps(this));
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  get remote(): string {
    return this.link.remote;
  }

  /** Queues a request; resolves with its reply (undefined for a firmware upload, which has none). */
  request(req: ServerRequest): Promise<ChargerMessage | undefined> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(`connection closed: ${this.closedReason}`));
    try {
      // Checked before queueing: a request the encoder would refuse must never reach the stream.
      encodeRequest(req);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(errorMessage(err)));
    }
    const want = expectedReply(req);
    if (req.type === "collect") this.collects++;
    return this.exchange
      .request(req, { key: want, what: `${want ?? "write"} reply` })
      .catch((err: unknown) => {
        throw err instanceof TimeoutError ? new TimeoutError(`${err.message}; connection closed`) : err;
      })
      .finally(() => {
        if (req.type === "collect") this.collects--;
      });
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearTimeout(this.handshakeTimer);
    if (this.poller) clearInterval(this.poller);
    this.exchange.close(new Error(`connection closed: ${reason}`));
    this.link.close(reason);
  }

  /** The handshake timer: a connection that never says who it is goes. */
  handshakeDue(): void {
    if (!this.handshake) this.close(`no handshake within ${this.opts.handshakeTimeoutMs} ms`);
  }

  /** The charger's side ended: the last event. */
  ended(out: TransformStreamDefaultController<SessionEvent>): void {
    this.close(this.handshake ? "charger closed the connection" : "connection closed before the handshake completed");
    out.enqueue({ kind: "closed", reason: this.closedReason ?? "closed" });
  }

  onItem(item: ChargerItem, out: TransformStreamDefaultController<SessionEvent>): void {
    if (this.closedReason !== undefined) return;
    switch (item.kind) {
      case "handshake":
        this.handshake = item.handshake;
        clearTimeout(this.handshakeTimer);
        out.enqueue({ kind: "handshake", handshake: item.handshake });
        if (this.opts.pollIntervalMs > 0) {
          this.poll();
          this.poller = setInterval(pollDue, this.opts.pollIntervalMs, this);
        }
        return;
      case "message":
        this.frames++;
        out.enqueue({ kind: "message", message: item.message });
        if (item.message.type === "notify") this.poll();
        else if (!this.exchange.receive(item.message)) this.log.warn("unexpected reply from charger", { got: item.message.type });
        return;
      case "bad":
        this.frames++;
        out.enqueue({ kind: "bad", error: item.error });
        // The frame still answered whatever was in flight (replies come in order): fail that request.
        if (item.replyTo) this.exchange.fail(item.replyTo, item.error);
        return;
      case "fatal":
        out.enqueue({ kind: "bad", error: item.error });
        this.close(item.error.message);
    }
  }

  poll(): void {
    if (this.closedReason !== undefined || this.collects > 0) return;
    this.request({ type: "collect" }).catch((err: unknown) => this.log.debug("poll failed", { error: errorMessage(err) }));
  }
}

// Timer callbacks and the session's helpers are shared by every session (the session rides along
// as an argument or a field): per-connection closures would cost each connected charger.
function handshakeDue(s: DehneSession): void {
  s.handshakeDue();
}

function pollDue(s: DehneSession): void {
  s.poll();
}

/** The session's frames in, events out. */
class SessionSteps implements Step<ChargerItem, SessionEvent> {
  constructor(private readonly s: DehneSession) {}

  transform(item: ChargerItem, out: TransformStreamDefaultController<SessionEvent>): void {
    this.s.onItem(item, out);
  }

  flush(out: TransformStreamDefaultController<SessionEvent>): void {
    this.s.ended(out);
  }
}

/** How the exchange writes requests and matches replies on one connection. */
class DehneWire implements ExchangeOptions<ServerRequest, ChargerMessage, Reply> {
  readonly maxInFlight = 1;
  readonly maxQueued: number;
  readonly timeoutMs: number;

  constructor(private readonly s: DehneSession, private readonly writer: WritableStreamDefaultWriter<ServerRequest>, opts: SessionOptions) {
    writer.closed.catch(ignore);
    this.maxQueued = opts.maxQueue;
    this.timeoutMs = opts.replyTimeoutMs;
  }

  send(req: ServerRequest): Promise<void> {
    return this.writer.write(req);
  }

  keyOf(m: ChargerMessage): Reply | undefined {
    return m.type === "notify" ? undefined : m.type;
  }

  /** Replies carry no id: after a missing one, a late one would answer the wrong request. */
  onTimeout(err: TimeoutError): void {
    this.s.close(`${err.message}; connection closed`);
  }
}

