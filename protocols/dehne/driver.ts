// One charger's TCP session: handshake, polling that feeds the charger's 10 s watchdog, and
// strictly one request in flight (the protocol has no request ids; spec §6, G11).
import { ProtocolError, TimeoutError, errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { Link } from "../../lib/link.ts";
import { chargerStreamDecoder, type Handshake } from "./codec.ts";
import { decodeChargerFrame, encodeRequest, expectedReply, type ChargerMessage, type ServerRequest } from "./wire.ts";

export interface SessionOptions {
  handshakeTimeoutMs: number;
  replyTimeoutMs: number;
  /** 0 = no polling (then an MQTT client must send something every < 10 s). */
  pollIntervalMs: number;
  /** Requests waiting beyond this are refused rather than piling up behind a slow charger. */
  maxQueue: number;
}

export interface SessionEvents {
  handshake(h: Handshake): void;
  message(m: ChargerMessage): void;
  badFrame(err: ProtocolError): void;
  closed(reason: string): void;
}

interface Pending {
  req: ServerRequest;
  resolve: (m: ChargerMessage | undefined) => void;
  reject: (e: Error) => void;
}

export class DehneSession {
  handshake: Handshake | undefined;
  private queue: Pending[] = [];
  private inflight: (Pending & { timer: ReturnType<typeof setTimeout> }) | undefined;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private poller: ReturnType<typeof setInterval> | undefined;
  private closedReason: string | undefined;
  /** Frames received, for `last_seen`-style bookkeeping and tests. */
  frames = 0;

  constructor(private conn: Link, private opts: SessionOptions, private log: Logger, private events: SessionEvents) {
    this.writer = conn.writable.getWriter();
    this.writer.closed.catch(() => {});
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  get remote(): string {
    return this.conn.remote;
  }

  /** Runs the read loop until the connection ends. */
  async run(): Promise<void> {
    this.timers.push(setTimeout(() => {
      if (!this.handshake) this.close(`no handshake within ${this.opts.handshakeTimeoutMs} ms`);
    }, this.opts.handshakeTimeoutMs));
    const reader = this.conn.readable.pipeThrough(chargerStreamDecoder()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.isClosed) break;
        if (value.kind === "handshake") this.onHandshake(value.handshake);
        else if (value.kind === "frame") this.onFrame(value.frame.type, () => decodeChargerFrame(value.frame, this.handshake!.firmware));
        else {
          this.events.badFrame(value.error);
          this.close(value.error.message);
        }
      }
      this.close(this.handshake ? "charger closed the connection" : "connection closed before the handshake completed");
    } catch (err) {
      this.close(`read error: ${errorMessage(err)}`);
    } finally {
      reader.releaseLock();
    }
  }

  private onHandshake(h: Handshake): void {
    this.handshake = h;
    this.events.handshake(h);
    if (this.opts.pollIntervalMs > 0) {
      this.poll();
      this.poller = setInterval(() => this.poll(), this.opts.pollIntervalMs);
    }
  }

  private poll(): void {
    const busy = [this.inflight, ...this.queue].some((p) => p?.req.type === "collect");
    if (busy || this.isClosed) return;
    this.request({ type: "collect" }).catch((err) => this.log.debug("poll failed", { error: errorMessage(err) }));
  }

  private onFrame(type: number, decode: () => ChargerMessage): void {
    this.frames++;
    let msg: ChargerMessage;
    try {
      msg = decode();
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError(errorMessage(err));
      this.events.badFrame(e);
      // The frame still answered whatever was in flight (replies come in order); fail that request.
      if (this.inflight && type === 2 && this.inflight.req.type === "collect") this.settle(undefined, e);
      return;
    }
    this.events.message(msg);
    if (msg.type === "notify") {
      this.poll();
      return;
    }
    const want = this.inflight ? expectedReply(this.inflight.req) : undefined;
    if (want === msg.type) this.settle(msg);
    else this.log.warn("unexpected reply from charger", { got: msg.type, expected: want ?? "nothing" });
  }

  private settle(msg: ChargerMessage | undefined, err?: Error): void {
    const p = this.inflight;
    if (!p) return;
    clearTimeout(p.timer);
    this.inflight = undefined;
    if (err) p.reject(err);
    else p.resolve(msg);
    this.pump();
  }

  /** Queues a request; resolves with its reply (undefined for a firmware upload, which has none). */
  request(req: ServerRequest): Promise<ChargerMessage | undefined> {
    if (this.isClosed) return Promise.reject(new Error(`connection closed: ${this.closedReason}`));
    if (this.queue.length >= this.opts.maxQueue) return Promise.reject(new Error(`charger busy: ${this.queue.length} requests already waiting`));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.inflight || this.isClosed) return;
    const next = this.queue.shift();
    if (!next) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeRequest(next.req);
    } catch (err) {
      next.reject(err instanceof Error ? err : new Error(String(err)));
      this.pump();
      return;
    }
    const want = expectedReply(next.req);
    const timer = setTimeout(() => {
      const msg = `no ${want ?? "write"} reply within ${this.opts.replyTimeoutMs} ms; connection closed`;
      this.settle(undefined, new TimeoutError(msg));
      this.close(msg);
    }, this.opts.replyTimeoutMs);
    this.inflight = { ...next, timer };
    this.writer.write(bytes).then(
      () => {
        if (want === undefined && this.inflight?.req === next.req) this.settle(undefined);
      },
      (err) => {
        this.settle(undefined, new Error(`write failed: ${errorMessage(err)}`));
        this.close(`write failed: ${errorMessage(err)}`);
      },
    );
  }

  close(reason: string): void {
    if (this.isClosed) return;
    this.closedReason = reason;
    for (const t of this.timers) clearTimeout(t);
    if (this.poller) clearInterval(this.poller);
    const err = new Error(`connection closed: ${reason}`);
    if (this.inflight) {
      clearTimeout(this.inflight.timer);
      this.inflight.reject(err);
      this.inflight = undefined;
    }
    for (const p of this.queue.splice(0)) p.reject(err);
    this.conn.close();
    this.events.closed(reason);
  }
}
