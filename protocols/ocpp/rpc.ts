/**
 * OCPP-J RPC for one connection (spec §2): answers the charger's CALLs, sends ours one at a time
 * with a timeout, validates every payload in both directions.
 */
import { CommandError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import { CALL, CALLERROR, CALLRESULT, type Decoded, encodeFrame, type Frame } from "./codec.ts";
import {
  CP_INITIATED,
  CS_INITIATED,
  type CsAction,
  type CsRequest,
  type CsResponse,
  DESCRIPTIONS,
  type ErrorCode16,
  isCpAction,
  isKnown16Action,
  validate,
} from "./schemas.ts";

/** Thrown by a CALL handler to answer with a CALLERROR. */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(readonly code: ErrorCode16, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** The charger answered our CALL with a CALLERROR. */
export class CallError extends CommandError {
  override name = "CallError";
  constructor(readonly code: string, readonly description: string, readonly details: Record<string, unknown>) {
    super(`charger answered CALLERROR ${code}${description ? `: ${description}` : ""}`);
  }
}

/** No reply within the call timeout, or the session ended first. */
export class CallTimeoutError extends CommandError {
  override name = "CallTimeoutError";
}

export class NotConnectedError extends CommandError {
  override name = "NotConnectedError";
}

/** Arguments of a command failed validation before anything was sent. */
export class InvalidArgsError extends CommandError {
  override name = "InvalidArgsError";
  constructor(readonly code: ErrorCode16, message: string) {
    super(message);
  }
}

export type CallHandler = (action: string, payload: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

export interface RpcOptions {
  send(text: string): void;
  /** Receives only validated CALLs of actions in CP_INITIATED. */
  handle: CallHandler;
  callTimeoutMs: number;
  lenient(): boolean;
  /** Consecutive bad messages tolerated before `onTooManyBad` (spec §2.2: ocpp-rpc counts them too). */
  maxBadMessages: number;
  onTooManyBad(): void;
  log: Logger;
}

interface Outbound {
  action: CsAction;
  payload: Record<string, unknown>;
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
}

interface Pending extends Outbound {
  id: string;
  timer: ReturnType<typeof setTimeout>;
}

/** Charger CALLs handled at once; further frames wait unread, so the socket's own limits apply. */
export const MAX_INBOUND_IN_PROGRESS = 4;

export class RpcPeer {
  private queue: Outbound[] = [];
  private inProgress = 0;
  private roomWaiters: (() => void)[] = [];
  private pending: Pending | undefined;
  private badInARow = 0;
  private closed = false;
  badTotal = 0;

  constructor(private opts: RpcOptions) {}

  /**
   * Takes one frame. While MAX_INBOUND_IN_PROGRESS charger CALLs are in progress it returns a
   * promise that resolves when one finishes: the reader must wait for it before reading on.
   * (Handlers must therefore never wait for a reply from the charger themselves.)
   */
  receive(d: Decoded): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (!d.ok) {
      this.opts.log.warn("bad OCPP frame", { reason: d.bad.reason, frame: d.bad.raw });
      // A malformed CALL with a readable id can still be answered; anything else cannot (§2.4).
      if (d.bad.id !== undefined && d.bad.messageType === CALL) {
        this.reply({ type: CALLERROR, id: d.bad.id, code: "FormationViolation", description: d.bad.reason, details: {} });
      }
      this.countBad();
      return undefined;
    }
    const f = d.frame;
    if (f.type === CALL) {
      this.inProgress++;
      void this.onCall(f.id, f.action, f.payload).finally(() => {
        this.inProgress--;
        this.roomWaiters.shift()?.();
      });
      return this.inProgress >= MAX_INBOUND_IN_PROGRESS ? new Promise((resolve) => this.roomWaiters.push(resolve)) : undefined;
    }
    const p = this.pending;
    if (!p || p.id !== f.id) {
      this.opts.log.warn("reply to no outstanding CALL ignored", { id: f.id });
      this.countBad();
      return undefined;
    }
    this.badInARow = 0;
    clearTimeout(p.timer);
    this.pending = undefined;
    if (f.type === CALLRESULT) {
      const v = validate(CS_INITIATED[p.action].response, f.payload, this.opts.lenient());
      if (v.ok) p.resolve(v.value);
      else p.reject(new CallError(v.code, `invalid ${p.action} reply: ${v.message}`, {}));
    } else {
      p.reject(new CallError(f.code, f.description, f.details));
    }
    this.pump();
    return undefined;
  }

  /** Queues a CALL to the charger; resolves with its validated reply. */
  call<A extends CsAction>(action: A, payload: CsRequest<A>): Promise<CsResponse<A>>;
  call(action: CsAction, payload: Record<string, unknown>): Promise<Record<string, unknown>>;
  call(action: CsAction, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new NotConnectedError("charger is not connected"));
    // Our own output is always checked strictly: a bad command is reported, never sent (§2.5).
    const v = validate(CS_INITIATED[action].request, payload);
    if (!v.ok) return Promise.reject(new InvalidArgsError(v.code, `invalid ${action} arguments: ${v.message}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ action, payload: v.value, resolve, reject });
      this.pump();
    });
  }

  get queued(): number {
    return this.queue.length + (this.pending ? 1 : 0);
  }

  /** Fails everything outstanding; later frames are ignored. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const err = new NotConnectedError(`charger disconnected (${reason})`);
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending.reject(err);
      this.pending = undefined;
    }
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private pump(): void {
    if (this.pending || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    const id = crypto.randomUUID();
    const timeoutMs = this.opts.callTimeoutMs;
    const timer = setTimeout(() => {
      if (this.pending?.id !== id) return;
      this.pending = undefined;
      next.reject(new CallTimeoutError(`no reply to ${next.action} within ${timeoutMs / 1000} s`));
      this.pump();
    }, timeoutMs);
    this.pending = { ...next, id, timer };
    try {
      this.opts.send(encodeFrame({ type: CALL, id, action: next.action, payload: next.payload }));
    } catch (err) {
      clearTimeout(timer);
      this.pending = undefined;
      next.reject(new NotConnectedError(`could not send ${next.action}: ${err instanceof Error ? err.message : String(err)}`));
      this.pump();
    }
  }

  private async onCall(id: string, action: string, payload: Record<string, unknown>): Promise<void> {
    if (!isCpAction(action)) {
      const code: ErrorCode16 = isKnown16Action(action) ? "NotSupported" : "NotImplemented";
      this.reply({ type: CALLERROR, id, code, description: DESCRIPTIONS[code], details: { action } });
      return;
    }
    const schemas = CP_INITIATED[action];
    const v = validate(schemas.request, payload, this.opts.lenient());
    if (!v.ok) {
      this.opts.log.warn("invalid CALL from charger", { action, code: v.code, error: v.message });
      this.reply({ type: CALLERROR, id, code: v.code, description: v.message.slice(0, 255), details: {} });
      this.countBad();
      return;
    }
    this.badInARow = 0;
    let result: Record<string, unknown>;
    try {
      result = await this.opts.handle(action, v.value);
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError("InternalError", err instanceof Error ? err.message : String(err));
      if (!(err instanceof RpcError)) this.opts.log.error("handler failed", { action, error: e.message });
      this.reply({ type: CALLERROR, id, code: e.code, description: e.message, details: e.details });
      return;
    }
    const out = validate(schemas.response, result);
    if (!out.ok) {
      this.opts.log.error("reply failed validation (bug)", { action, error: out.message });
      this.reply({ type: CALLERROR, id, code: "InternalError", description: DESCRIPTIONS.InternalError, details: {} });
      return;
    }
    this.reply({ type: CALLRESULT, id, payload: result });
  }

  private reply(f: Frame): void {
    if (this.closed) return;
    try {
      this.opts.send(encodeFrame(f));
    } catch (err) {
      this.opts.log.debug("reply not sent", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private countBad(): void {
    this.badTotal++;
    this.badInARow++;
    if (this.badInARow >= this.opts.maxBadMessages) {
      this.opts.log.warn("too many bad messages, closing", { count: this.badInARow });
      this.opts.onTooManyBad();
    }
  }
}
