// One RAPI link's state machine: one command in flight (spec §5), replies matched by sequence id
// where the controller echoes them (RAPI ≥ 3.0.0) and in order otherwise, notifications at any time,
// echoes of our own commands dropped. A missing or corrupt reply fails its command after the
// timeout and the next one goes out: nothing stalls the queue. Start-up, polling and heartbeat
// live in monitor.ts, which drives this session.
import { transformReadable } from "../../lib/transform.ts";
import { CommandError, errorMessage, ProtocolError, TimeoutError } from "../../lib/errors.ts";
import { Exchange } from "../../lib/exchange.ts";
import type { Link } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import { commandText, type Command, type FrameOrBad, RapiEncodeError, SequenceCounter } from "./codec.ts";
import { formatFrame } from "./frame.ts";
import type { Notification } from "./notifications.ts";
import type { ControllerView } from "./view.ts";

export interface RapiReply {
  ok: boolean;
  fields: string[];
  /**
   * The reply line (with `^XK`, without CR) as a link without sequence ids carries it, which is what
   * the gateway republishes on `rapi/out`: our own sequence id is taken out and the checksum redone.
   */
  text: string;
}

export type SessionEvent =
  /** Start-up queries answered (first time, or again after a reboot): the intent must be (re-)applied. */
  | { kind: "up"; view: ControllerView; reboot: boolean }
  | { kind: "view"; view: ControllerView; dump: boolean }
  /** `$AN`, `$WF` and unknown `$A…` codes, for the log and the detail topic. */
  | { kind: "notification"; notification: Notification }
  /** The controller stopped answering, or answers again (availability). */
  | { kind: "answering"; answering: boolean }
  | { kind: "bad"; message: string }
  /** Always the last event. */
  | { kind: "closed"; reason: string };

export interface RequestOptions {
  timeoutMs?: number;
  /** Send once more after a timeout or a corrupt reply (only for commands that change nothing). */
  retry?: boolean;
}

/** Commands that switch or set a current get twice the timeout (§5 rule 1). */
const SLOW = new Set(["FE", "FS", "FD", "SC"]);
/** The gateway's queue capacity (§5). */
const MAX_QUEUED = 20;

type Key = number | "fifo";
type ReplyItem = Extract<FrameOrBad, { kind: "reply" }>;

export interface SessionCounters {
  sent: number;
  replies: number;
  timeouts: number;
  echoes: number;
  stale: number;
  bad: number;
}

export class RapiSession {
  readonly events: ReadableStream<SessionEvent>;
  readonly counters: SessionCounters = { sent: 0, replies: 0, timeouts: 0, echoes: 0, stale: 0, bad: 0 };
  private out: TransformStreamDefaultController<SessionEvent> | undefined;
  private readonly exchange: Exchange<Command, ReplyItem, Key>;
  private readonly seq = new SequenceCounter();
  private useSeq = false;
  private inFlightKey: Key = "fifo";
  private misses = 0;
  private isAnswering = false;
  private ended = false;
  private closedReason: string | undefined;
  /** Told about every notification before it is emitted (the monitor merges them into its view). */
  onNotification: (n: Notification) => void = () => {};
  /** Runs once the link has ended. */
  onClose: () => void = () => {};

  constructor(private readonly link: Link<FrameOrBad, Command>, private readonly opts: { replyTimeoutMs: number; offlineAfterMisses: number }, private readonly log: Logger) {
    const writer = link.writable.getWriter();
    writer.closed.catch(() => {});
    this.exchange = new Exchange<Command, ReplyItem, Key>({
      send: (cmd) => {
        this.inFlightKey = cmd.seq ?? "fifo";
        this.counters.sent++;
        return writer.write(cmd);
      },
      // A reply without an id answers whatever is in flight (an id-less `$NK^21` is a checksum refusal, §5 rule 3).
      keyOf: (r) => r.frame.seq ?? this.inFlightKey,
      maxInFlight: 1,
      maxQueued: MAX_QUEUED,
      timeoutMs: opts.replyTimeoutMs,
      onTimeout: () => this.missed(),
    });
    this.events = transformReadable<FrameOrBad, SessionEvent>(
      link.readable,
      {
        start: (c) => {
          this.out = c;
        },
        transform: (item) => this.onItem(item),
        flush: () => this.finish("the controller link closed"),
      },
      // Room for a burst of events before reading the link pauses: back-pressure from MQTT still
      // reaches the link, but a moment's delay does not hold replies past their timeout.
      { highWaterMark: 64 },
    );
  }

  get remote(): string {
    return this.link.remote;
  }

  get answering(): boolean {
    return this.isAnswering;
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /** RAPI ≥ 3.0.0: number every command, so a late reply to a timed-out one is recognised (§4). */
  useSequenceIds(on: boolean): void {
    this.useSeq = on;
  }

  emit(ev: SessionEvent): void {
    if (this.ended || !this.out) return;
    this.out.enqueue(ev);
  }

  /**
   * Sends `cmd` and resolves with its reply (`$NK` included: `ok` false). Rejects with a
   * TimeoutError when none comes, and at once for a command the controller would drop or misread.
   * `$FR` expects no reply: it resolves once written.
   */
  async request(cmd: Command, o: RequestOptions = {}): Promise<RapiReply> {
    if (this.closedReason !== undefined) throw new CommandError(`controller link closed: ${this.closedReason}`);
    try {
      // With the sequence id it will carry (always two hex digits), so the length check is exact.
      commandText(this.useSeq ? { ...cmd, seq: 0xff } : cmd);
    } catch (err) {
      throw err instanceof RapiEncodeError ? new CommandError(err.message) : err;
    }
    const timeoutMs = o.timeoutMs ?? this.opts.replyTimeoutMs * (SLOW.has(cmd.code) ? 2 : 1);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(cmd, timeoutMs);
      } catch (err) {
        const transient = err instanceof TimeoutError || (err instanceof ProtocolError && !(err instanceof RapiEncodeError));
        if (!o.retry || attempt >= 1 || !transient || this.isClosed) throw err;
        this.log.debug("retrying after a missing or corrupt reply", { command: `$${cmd.code}`, error: errorMessage(err) });
      }
    }
  }

  private async once(cmd: Command, timeoutMs: number): Promise<RapiReply> {
    const seq = this.useSeq ? this.seq.next() : undefined;
    const numbered: Command = seq === undefined ? { code: cmd.code, params: cmd.params ?? [] } : { code: cmd.code, params: cmd.params ?? [], seq };
    // `$FR` is never answered: the controller reboots (§5).
    const key: Key | undefined = cmd.code === "FR" ? undefined : (seq ?? "fifo");
    const item = await this.exchange.request(numbered, { key, timeoutMs, what: `reply to $${cmd.code}` });
    if (!item) return { ok: true, fields: [], text: "" };
    const f = item.frame;
    return { ok: item.ok, fields: item.fields, text: f.seq === null ? f.text : formatFrame(f.code, f.params, { checksum: f.checksum === "sum" ? "sum" : "xor" }) };
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.exchange.close(new CommandError(`controller link closed: ${reason}`));
    this.link.close(reason);
  }

  private finish(reason: string): void {
    this.close(reason);
    this.onClose();
    this.emit({ kind: "closed", reason: this.closedReason ?? reason });
    this.ended = true;
  }

  private alive(): void {
    this.misses = 0;
    if (this.isAnswering) return;
    this.isAnswering = true;
    this.emit({ kind: "answering", answering: true });
  }

  private missed(): void {
    this.counters.timeouts++;
    this.misses++;
    if (this.isAnswering && this.misses >= this.opts.offlineAfterMisses) {
      this.isAnswering = false;
      this.log.warn("controller stopped answering", { missed_replies: this.misses });
      this.emit({ kind: "answering", answering: false });
    }
  }

  private onItem(item: FrameOrBad): void {
    if (this.closedReason !== undefined) return;
    switch (item.kind) {
      case "reply":
        if (this.exchange.receive(item)) {
          this.counters.replies++;
          this.alive();
        } else {
          // An answer to a command that already timed out (its id is not the one in flight).
          this.counters.stale++;
          this.log.debug("late reply dropped", { reply: item.frame.text });
        }
        return;
      case "notification":
        this.alive();
        this.onNotification(item.notification);
        return;
      case "command":
        // Our own command echoed back (`$FF E`, §14 item 2).
        this.counters.echoes++;
        return;
      case "bad": {
        this.counters.bad++;
        const looksLikeReply = item.text.startsWith("$OK") || item.text.startsWith("$NK");
        // A reply damaged on the wire: fail its command now rather than after the timeout.
        if (looksLikeReply && this.exchange.pending > 0) this.exchange.fail(this.inFlightKey, new ProtocolError(`corrupt reply (${item.message})`));
        if (item.reason === "missing-checksum" && looksLikeReply) {
          this.log.warn("reply without checksum: controllers before RAPI 2.0.0 are not supported", { line: item.text });
        }
        this.emit({ kind: "bad", message: `${item.reason} at byte ${item.offset}: ${item.message}` });
      }
    }
  }
}
