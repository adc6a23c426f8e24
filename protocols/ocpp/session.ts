// One charge point's OCPP-J connection (spec §2): answers its CALLs (validated, at most
// MAX_INBOUND_IN_PROGRESS at once, bad messages counted) and sends ours one at a time through
// lib/exchange.ts, keyed by message id. Frames in, events out as a stream: whoever reads `events`
// slowly slows the reading of the socket, and a CALLRESULT goes out once its event is handled, so a
// busy charger's next CALL waits for MQTT instead of queueing in the bridge.
import { type Step, transformReadable } from "../../lib/transform.ts";
import { CommandError, errorMessage, ignore, TimeoutError } from "../../lib/errors.ts";
import { Exchange, type ExchangeOptions } from "../../lib/exchange.ts";
import type { Link } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import { CALL, CALLERROR, CALLRESULT, type CallFrame, type Decoded, type ErrorFrame, type Frame, type ResultFrame } from "./codec.ts";
import { CallError, CallTimeoutError, InvalidArgsError, NotConnectedError, RpcError } from "./errors.ts";
import {
  CP_REQUEST,
  CP_RESPONSE,
  type CpAction,
  type CpEvent,
  type CpEventOf,
  type CpRequest,
  CS_REQUEST,
  CS_RESPONSE,
  type CsAction,
  type CsRequest,
  type CsResponse,
  DESCRIPTIONS,
  type ErrorCode16,
  isCpAction,
  isKnown16Action,
  validate,
} from "./schemas.ts";

/** Charger CALLs handled at once; further frames wait unread, so the socket's own limits apply. */
export const MAX_INBOUND_IN_PROGRESS = 4;

/**
 * Events that may wait for the sink (MQTT) before the socket is read no further. None: the next
 * frame is read when the sink is ready for its event, since every event waiting here is latency
 * under load, times the number of charge points (50 busy charge points, `make bench`: at 8, p50
 * to MQTT was 250–320 ms; at 1, 52–70 ms; at 0, 38–49 ms, throughput the same or higher).
 */
const EVENTS_AHEAD = 0;

/** Our CALLs waiting behind the outstanding one, at most; more are refused at once. */
const MAX_QUEUED_CALLS = 100;

/**
 * How to answer each CP-initiated action: the validated request in, the whole exchange out (the
 * reply is validated again before it is sent). Throw RpcError to answer with a CALLERROR.
 */
export type Answers = { [A in CpAction]: (request: CpRequest<A>) => CpEventOf<A> | Promise<CpEventOf<A>> };

export interface SessionOptions {
  identity: string;
  /** Only required fields and types are checked in the charger's CALLs (spec §2.5). */
  lenient: boolean;
  callTimeoutMs: number;
  /** Consecutive bad messages tolerated before the socket is closed (ocpp-rpc counts them too). */
  maxBadMessages: number;
  log: Logger;
}

export type SessionEvent =
  /** A CALL from the charger, validated and answered with a CALLRESULT that is sent on `handled()`. */
  | CallEvent
  /** Always the last event; `reason` is what the compatible layout shows as disconnect_reason. */
  | { kind: "closed"; reason: string };

/**
 * A charger's CALL and our answer, whose CALLRESULT is held until the reader calls `handled()`
 * (the listener's sink: once the event has reached the hub and the compatible layout). Answering
 * at once let a busy charger send its next CALL while this one still waited for MQTT: ~2.5 frames
 * per charge point in the bridge instead of ~1.4, and MeterValues latency at load up by half
 * (`make bench`). A CALL of ours sends every held reply first, so handling that calls the charger
 * neither waits for itself nor reaches the charger before the answer it builds on (a TxProfile for
 * a transaction must follow the StartTransaction.conf that gave the charger its id).
 */
export class CallEvent {
  readonly kind = "call";

  constructor(readonly event: CpEvent, private readonly session: OcppSession, private readonly reply: ResultFrame) {}

  /** The event has been handled: its CALLRESULT goes out now (once; later calls do nothing). */
  handled(): void {
    this.session.release(this.reply);
  }
}

type Reply = ResultFrame | ErrorFrame;

export class OcppSession {
  readonly identity: string;
  readonly events: ReadableStream<SessionEvent>;
  readonly connectedAt = new Date();
  /** Bad messages over the whole connection (for logs and tests). */
  badTotal = 0;
  private badInARow = 0;
  private readonly exchange: Exchange<CallFrame, Reply, string>;
  private readonly writer: WritableStreamDefaultWriter<Frame>;
  private readonly jobs = new Set<Promise<void>>();
  /** CALLRESULTs whose events are not handled yet, oldest first. */
  private readonly held: ResultFrame[] = [];
  private closeReason: string | undefined;
  private ended = false;

  constructor(private readonly link: Link<Decoded, Frame> & { readonly protocol?: string }, private readonly answers: Answers, private readonly opts: SessionOptions) {
    this.identity = opts.identity;
    this.writer = link.writable.getWriter();
    this.writer.closed.catch(ignore);
    this.exchange = new Exchange<CallFrame, Reply, string>(new CallWire(this, this.writer, opts.callTimeoutMs));
    this.events = transformReadable<Decoded, SessionEvent>(link.readable, new SessionSteps(this), { highWaterMark: EVENTS_AHEAD });
  }

  /** The connection ended: the last event, once every CALL in progress is answered. */
  async finish(out: TransformStreamDefaultController<SessionEvent>): Promise<void> {
    await Promise.all(this.jobs);
    const info = await this.link.closed;
    this.closeReason ??= `connection_closed_${info.code ?? 1006}`;
    this.end();
    out.enqueue({ kind: "closed", reason: this.closeReason });
  }

  /** The subprotocol agreed on; none offered counts as 1.6. */
  get protocol(): string {
    return this.link.protocol || "ocpp1.6";
  }

  get remote(): string {
    return this.link.remote;
  }

  get isClosed(): boolean {
    return this.ended || this.closeReason !== undefined;
  }

  /** Queues a CALL to the charger (validated strictly first: a bad command is reported, never sent, §2.5); resolves with its validated reply. */
  async call<A extends CsAction>(action: A, payload: CsRequest<A>): Promise<CsResponse<A>> {
    if (this.isClosed) throw new NotConnectedError(`charge point ${this.identity} is not connected`);
    const v = validate(CS_REQUEST[action], payload);
    if (!v.ok) throw new InvalidArgsError(v.code, `invalid ${action} arguments: ${v.message}`);
    const frame: CallFrame = { type: CALL, id: crypto.randomUUID(), action, payload: v.value };
    let reply: Reply | undefined;
    try {
      reply = await this.exchange.request(frame, { key: frame.id, what: `reply to ${action}` });
    } catch (err) {
      throw asCallFailure(err);
    }
    if (reply === undefined) throw new NotConnectedError(`no reply to ${action}`);
    if (reply.type === CALLERROR) throw new CallError(reply.code, reply.description, reply.details);
    const r = validate(CS_RESPONSE[action], reply.payload);
    if (!r.ok) throw new CallError(r.code, `invalid ${action} reply: ${r.message}`, {});
    return r.value;
  }

  /** `why` becomes the compatible layout's disconnect_reason. */
  close(code: number, text: string, why: string): void {
    this.closeReason ??= why;
    this.link.close(text, code);
  }

  /** Sends one held CALLRESULT (CallEvent.handled); nothing if it has gone out already. */
  release(reply: ResultFrame): void {
    const i = this.held.indexOf(reply);
    if (i < 0) return;
    this.held.splice(i, 1);
    this.send(reply);
  }

  /** Sends every held CALLRESULT, oldest first: our next CALL must not overtake them. */
  releaseAll(): void {
    for (const reply of this.held.splice(0)) this.send(reply);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.exchange.close(new NotConnectedError(`charger disconnected (${this.closeReason ?? "connection_closed"})`));
  }

  async onFrame(d: Decoded, out: TransformStreamDefaultController<SessionEvent>): Promise<void> {
    if (this.ended) return;
    if (!d.ok) {
      this.opts.log.warn("bad OCPP frame", { reason: d.bad.reason, message: d.bad.at, frame: d.bad.raw });
      // A malformed CALL with a readable id can still be answered; anything else cannot (§2.4).
      if (d.bad.id !== undefined && d.bad.messageType === CALL) {
        this.send({ type: CALLERROR, id: d.bad.id, code: "FormationViolation", description: d.bad.reason, details: {} });
      }
      this.countBad();
      return;
    }
    const f = d.frame;
    if (f.type === CALL) {
      const job = this.onCall(f, out).finally(() => this.jobs.delete(job));
      this.jobs.add(job);
      // Back-pressure: with the slots full, the next frame is not read until one is free.
      while (this.jobs.size >= MAX_INBOUND_IN_PROGRESS) await Promise.race(this.jobs);
      return;
    }
    if (!this.exchange.receive(f)) {
      this.opts.log.warn("reply to no outstanding CALL ignored", { id: f.id });
      this.countBad();
      return;
    }
    this.badInARow = 0;
  }

  private async onCall(f: CallFrame, out: TransformStreamDefaultController<SessionEvent>): Promise<void> {
    if (!isCpAction(f.action)) {
      const code: ErrorCode16 = isKnown16Action(f.action) ? "NotSupported" : "NotImplemented";
      this.send({ type: CALLERROR, id: f.id, code, description: DESCRIPTIONS[code], details: { action: f.action } });
      return;
    }
    const ev = await this.answer(f.id, f.action, f.payload);
    if (!ev || this.ended) return;
    try {
      out.enqueue(ev);
    } catch {
      // the stream was cancelled: the connection is going away
    }
  }

  /** Validates and answers; a CALLERROR is sent at once, a CALLRESULT held in the event (see CallEvent). */
  private async answer<A extends CpAction>(id: string, action: A, payload: unknown): Promise<CallEvent | undefined> {
    const v = validate(CP_REQUEST[action], payload, this.opts.lenient);
    if (!v.ok) {
      this.opts.log.warn("invalid CALL from charger", { action, code: v.code, error: v.message });
      this.send({ type: CALLERROR, id, code: v.code, description: v.message.slice(0, 255), details: {} });
      this.countBad();
      return undefined;
    }
    this.badInARow = 0;
    let event: CpEventOf<A>;
    try {
      event = await this.answers[action](v.value);
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError("InternalError", errorMessage(err));
      if (!(err instanceof RpcError)) this.opts.log.error("answer failed", { action, error: e.message });
      this.send({ type: CALLERROR, id, code: e.code, description: e.message, details: e.details });
      return undefined;
    }
    const checked = validate(CP_RESPONSE[action], event.response);
    if (!checked.ok) {
      this.opts.log.error("reply failed validation (bug)", { action, error: checked.message });
      this.send({ type: CALLERROR, id, code: "InternalError", description: DESCRIPTIONS.InternalError, details: {} });
      return undefined;
    }
    const reply: ResultFrame = { type: CALLRESULT, id, payload: checked.value };
    this.held.push(reply);
    return new CallEvent(event, this, reply);
  }

  private send(f: Frame): void {
    if (this.isClosed) return;
    this.writer.write(f).catch((err: unknown) => this.opts.log.debug("reply not sent", { error: errorMessage(err) }));
  }

  private countBad(): void {
    this.badTotal++;
    this.badInARow++;
    if (this.badInARow >= this.opts.maxBadMessages) {
      this.opts.log.warn("too many bad messages, closing", { count: this.badInARow });
      this.close(1008, "too many bad messages", "too_many_bad_messages");
    }
  }
}

// The session's helpers are classes shared by every session (it rides along as a field):
// per-connection closures would cost each connected charge point.

/** The session's frames in, events out. */
class SessionSteps implements Step<Decoded, SessionEvent> {
  constructor(private readonly s: OcppSession) {}

  transform(d: Decoded, out: TransformStreamDefaultController<SessionEvent>): Promise<void> {
    return this.s.onFrame(d, out);
  }

  flush(out: TransformStreamDefaultController<SessionEvent>): Promise<void> {
    return this.s.finish(out);
  }
}

/** How the exchange writes our CALLs (after every held CALLRESULT) and matches replies (by message id). */
class CallWire implements ExchangeOptions<CallFrame, Reply, string> {
  readonly maxInFlight = 1;
  readonly maxQueued = MAX_QUEUED_CALLS;

  constructor(private readonly session: OcppSession, private readonly writer: WritableStreamDefaultWriter<Frame>, readonly timeoutMs: number) {}

  send(frame: CallFrame): Promise<void> {
    this.session.releaseAll();
    return this.writer.write(frame);
  }

  keyOf(frame: Reply): string {
    return frame.id;
  }
}

/** What the exchange rejects with, in the words of OCPP command replies. */
function asCallFailure(err: unknown): Error {
  if (err instanceof TimeoutError) return new CallTimeoutError(err.message);
  if (err instanceof CommandError) return err;
  return new NotConnectedError(errorMessage(err));
}
