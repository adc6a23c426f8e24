// Request/reply matching for every protocol in one place. A request waits in a bounded queue until
// one of `maxInFlight` slots is free, is sent, and is answered by the first incoming frame whose key
// equals its key (oldest request first among equal keys). Protocols without ids use a key per kind
// of reply (Dehne, EVSEMaster) or one constant key (FIFO); protocols with ids use the id (OCPP
// message id, Modbus transaction id, RAPI sequence id). Frames that answer nothing are the
// caller's to handle as unsolicited. Everything still open is rejected on close.
import { CommandError, errorMessage, TimeoutError } from "./errors.ts";

export interface ExchangeOptions<Out, In, K> {
  /** Writes one request; a rejection fails that request (the link is gone). */
  send(frame: Out): Promise<void>;
  /** Which request(s) an incoming frame may answer, best candidate first; undefined = none. */
  keyOf(frame: In): K | readonly K[] | undefined;
  /** Requests sent and not yet answered, at most. */
  maxInFlight: number;
  /** Requests waiting for a free slot, at most; further ones are refused at once. */
  maxQueued: number;
  /** Default reply timeout, counted from the moment the request is sent. */
  timeoutMs: number;
  /** Runs when a request timed out, before the next one is sent (e.g. to close the link instead). */
  onTimeout?(err: TimeoutError): void;
}

export interface RequestOptions<K> {
  /** The reply to wait for; `undefined` = none expected (settles once written). */
  key: K | undefined;
  timeoutMs?: number;
  /** Names the reply in the timeout message, e.g. "data reply". */
  what?: string;
}

interface Waiting<Out, In, K> {
  frame: Out | undefined;
  key: K | undefined;
  timeoutMs: number;
  what: string;
  resolve(v: In | undefined): void;
  reject(e: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

export class Exchange<Out, In, K = string> {
  private queue: Waiting<Out, In, K>[] = [];
  private inFlight: Waiting<Out, In, K>[] = [];
  private closedWith: Error | undefined;

  constructor(private readonly opts: ExchangeOptions<Out, In, K>) {}

  get pending(): number {
    return this.queue.length + this.inFlight.length;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Queues `frame`; resolves with the frame that answered it (undefined when no reply is expected). */
  request(frame: Out, o: RequestOptions<K>): Promise<In | undefined> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.queue.length >= this.opts.maxQueued) {
      return Promise.reject(new CommandError(`charger busy: ${this.queue.length} requests already waiting`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, key: o.key, timeoutMs: o.timeoutMs ?? this.opts.timeoutMs, what: o.what ?? "reply", resolve, reject });
      this.pump();
    });
  }

  /**
   * Waits for a reply keyed `key` without sending anything (the frame that provokes it goes out by
   * other means, e.g. an automatic login). Does not take a slot.
   */
  wait(key: K, timeoutMs: number, what: string): Promise<In> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const w: Waiting<Out, In, K> = {
        frame: undefined,
        key,
        timeoutMs,
        what,
        resolve: (v) => (v === undefined ? reject(new TimeoutError(`no ${what}`)) : resolve(v)),
        reject,
      };
      this.arm(w);
      this.inFlight.push(w);
    });
  }

  /** Offers an incoming frame; true when it answered a request, false when it is unsolicited. */
  receive(frame: In): boolean {
    const keys = this.opts.keyOf(frame);
    if (keys === undefined) return false;
    for (const key of isKeyList(keys) ? keys : [keys]) {
      if (this.settle(key, frame)) return true;
    }
    return false;
  }

  /** Answers the oldest request waiting for `key` with `value` (a reply the session recognised itself). */
  settle(key: K, value: In): boolean {
    const w = this.take(key);
    if (!w) return false;
    w.resolve(value);
    this.pump();
    return true;
  }

  /** Fails the oldest request waiting for `key` (e.g. its reply arrived but could not be decoded). */
  fail(key: K, err: Error): boolean {
    const w = this.take(key);
    if (!w) return false;
    w.reject(err);
    this.pump();
    return true;
  }

  /** Fails every request waiting for `key`. */
  failAll(key: K, err: Error): void {
    while (this.fail(key, err));
  }

  /** Rejects everything open and refuses later requests with `err`. */
  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const w of [...this.inFlight.splice(0), ...this.queue.splice(0)]) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private take(key: K): Waiting<Out, In, K> | undefined {
    const i = this.inFlight.findIndex((w) => w.key === key);
    if (i < 0) return undefined;
    const [w] = this.inFlight.splice(i, 1);
    if (w?.timer) clearTimeout(w.timer);
    return w;
  }

  private arm(w: Waiting<Out, In, K>): void {
    w.timer = setTimeout(() => {
      const i = this.inFlight.indexOf(w);
      if (i < 0) return;
      this.inFlight.splice(i, 1);
      const err = new TimeoutError(`no ${w.what} within ${w.timeoutMs / 1000} s`);
      w.reject(err);
      this.opts.onTimeout?.(err);
      this.pump();
    }, w.timeoutMs);
  }

  private slotsUsed(): number {
    // Pure waits (no frame sent) do not occupy the link.
    let n = 0;
    for (const w of this.inFlight) if (w.frame !== undefined) n++;
    return n;
  }

  private pump(): void {
    while (!this.closedWith && this.queue.length > 0 && this.slotsUsed() < this.opts.maxInFlight) {
      const w = this.queue.shift();
      if (!w || w.frame === undefined) continue;
      const frame = w.frame;
      if (w.key !== undefined) {
        this.inFlight.push(w);
        this.arm(w);
      } else {
        // No reply expected: the slot is held until the write completes, keeping frames in order.
        this.inFlight.push(w);
      }
      this.opts.send(frame).then(
        () => {
          if (w.key !== undefined) return;
          const i = this.inFlight.indexOf(w);
          if (i >= 0) this.inFlight.splice(i, 1);
          w.resolve(undefined);
          this.pump();
        },
        (err: unknown) => {
          const i = this.inFlight.indexOf(w);
          if (i < 0) return;
          this.inFlight.splice(i, 1);
          if (w.timer) clearTimeout(w.timer);
          w.reject(new Error(`write failed: ${errorMessage(err)}`));
          this.pump();
        },
      );
    }
  }
}

function isKeyList<K>(k: K | readonly K[]): k is readonly K[] {
  return Array.isArray(k);
}
