// One charger's TCP session: handshake, polling that feeds the charger's 10 s watchdog, and
// strictly one request in flight (the protocol has no request ids: a reply is matched by its type,
// spec §6, G11). Frames in, session events out, as a stream: whoever reads `events` slowly slows
// the reading of the socket.
import { transformReadable } from "../../lib/transform.ts";
import { type ProtocolError, TimeoutError, errorMessage } from "../../lib/errors.ts";
import { Exchange } from "../../lib/exchange.ts";
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
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private poller: ReturnType<typeof setInterval> | undefined;
  private closedReason: string | undefined;
  /** Collect requests queued or in flight: a poll is not doubled. */
  private collects = 0;
  /** Frames received, for `last_seen`-style bookkeeping and tests. */
  frames = 0;

  constructor(private readonly link: Link<ChargerItem, ServerRequest>, private readonly opts: SessionOptions, private readonly log: Logger) {
    const writer = link.writable.getWriter();
    writer.closed.catch(() => {});
    this.exchange = new Exchange<ServerRequest, ChargerMessage, Reply>({
      send: (req) => writer.write(req),
      keyOf: (m) => (m.type === "notify" ? undefined : m.type),
      maxInFlight: 1,
      maxQueued: opts.maxQueue,
      timeoutMs: opts.replyTimeoutMs,
      // Replies carry no id: after a missing one, a late one would answer the wrong request.
      onTimeout: (err) => this.close(`${err.message}; connection closed`),
    });
    this.timers.push(setTimeout(() => {
      if (!this.handshake) this.close(`no handshake within ${opts.handshakeTimeoutMs} ms`);
    }, opts.handshakeTimeoutMs));
    this.events = transformReadable<ChargerItem, SessionEvent>(link.readable, {
      transform: (item, out) => this.onItem(item, out),
      flush: (out) => {
        this.close(this.handshake ? "charger closed the connection" : "connection closed before the handshake completed");
        out.enqueue({ kind: "closed", reason: this.closedReason ?? "closed" });
      },
    });
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
    for (const t of this.timers) clearTimeout(t);
    if (this.poller) clearInterval(this.poller);
    this.exchange.close(new Error(`connection closed: ${reason}`));
    this.link.close(reason);
  }

  private onItem(item: ChargerItem, out: TransformStreamDefaultController<SessionEvent>): void {
    if (this.closedReason !== undefined) return;
    switch (item.kind) {
      case "handshake":
        this.handshake = item.handshake;
        out.enqueue({ kind: "handshake", handshake: item.handshake });
        if (this.opts.pollIntervalMs > 0) {
          this.poll();
          this.poller = setInterval(() => this.poll(), this.opts.pollIntervalMs);
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

  private poll(): void {
    if (this.closedReason !== undefined || this.collects > 0) return;
    this.request({ type: "collect" }).catch((err: unknown) => this.log.debug("poll failed", { error: errorMessage(err) }));
  }
}
