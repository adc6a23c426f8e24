// RAPI on a byte stream (spec §1–§6): host commands out, controller replies and notifications in.
// Pure `encodeCommand`/`decode`, plus the stream stages a session pipes a link through.

import { ProtocolError } from "../../lib/errors.ts";
import type { Codec } from "../../lib/link.ts";
import type { ChecksumKind } from "./checksum.ts";
import { formatFrame, latin1Bytes, MAX_COMMAND_CHARS, MAX_TOKENS, parseLine, printable, type BadReason, type RapiFrame } from "./frame.ts";
import { isNotification, parseNotification, type Notification } from "./notifications.ts";
import type { Step } from "../../lib/transform.ts";

export type { BadReason, RapiFrame } from "./frame.ts";

/** What the host asks the controller: `{code: "SC", params: ["16", "V"]}`. */
export interface Command {
  code: string;
  params?: readonly string[];
  /** Sequence id 1–255; the encoder stream assigns one when it numbers commands and none is given. */
  seq?: number;
}

export type FrameOrBad =
  | { kind: "reply"; offset: number; frame: RapiFrame; ok: boolean; fields: string[] }
  | { kind: "notification"; offset: number; frame: RapiFrame; notification: Notification }
  /** A command line: the echo of our own command (`$FF E`, §14 item 2), or the host's side when we play the controller. */
  | { kind: "command"; offset: number; frame: RapiFrame }
  /** Anything that is not a usable frame, with the stream offset of its first byte. Never thrown. */
  | { kind: "bad"; offset: number; reason: BadReason; message: string; text: string; length: number };

export class RapiEncodeError extends ProtocolError {
  override name = "RapiEncodeError";
}

const CODE = /^[A-Z][A-Z0-9]$/;
// Printable single bytes only (0x80–0xFF pass: the gateway sends 0xFE in `$FP` text), and none of
// the characters that would restart a frame or start a checksum.
const PARAM = /^[\x21-\x7e\x80-\xff]+$/;
const RESERVED = /[$^*]/;

export interface EncodeOptions {
  /** XOR is what the controller and gateway use; `sum` and `none` exist for old tools and tests. */
  checksum?: ChecksumKind | "none";
}

/** The line for `cmd` without CR; throws RapiEncodeError for anything the controller would drop or misread. */
export function commandText(cmd: Command, opts: EncodeOptions = {}): string {
  const params = cmd.params ?? [];
  if (!CODE.test(cmd.code)) throw new RapiEncodeError(`command code must be two upper-case letters or digits, got "${cmd.code}"`);
  params.forEach((p, i) => {
    if (p === "") throw new RapiEncodeError(`$${cmd.code} parameter ${i + 1} is empty (it would be sent as two spaces)`);
    if (!PARAM.test(p) || RESERVED.test(p)) throw new RapiEncodeError(`$${cmd.code} parameter ${i + 1} "${printable(p)}" contains a space, $, ^, *, a control character or a character beyond one byte`);
  });
  if (cmd.seq !== undefined && (!Number.isInteger(cmd.seq) || cmd.seq < 1 || cmd.seq > 255)) {
    throw new RapiEncodeError(`sequence id must be 1–255 (00 is reserved), got ${cmd.seq}`);
  }
  const tokens = 1 + params.length + (cmd.seq === undefined ? 0 : 1);
  if (tokens > MAX_TOKENS) throw new RapiEncodeError(`$${cmd.code} has ${tokens} tokens; the controller takes at most ${MAX_TOKENS} (the sequence id counts)`);
  const text = formatFrame(cmd.code, params, { seq: cmd.seq ?? null, checksum: opts.checksum ?? "xor" });
  if (text.length > MAX_COMMAND_CHARS) {
    throw new RapiEncodeError(`"${text}" is ${text.length} characters; the controller silently drops frames over ${MAX_COMMAND_CHARS}`);
  }
  return text;
}

/** Bytes on the wire: the line and its CR. */
export function encodeCommand(cmd: Command, opts: EncodeOptions = {}): Uint8Array {
  return latin1Bytes(`${commandText(cmd, opts)}\r`);
}

/** Ids 1…255 and round again, skipping the reserved 00 (§4). */
export class SequenceCounter {
  private last = 0;
  next(): number {
    this.last = this.last >= 255 ? 1 : this.last + 1;
    return this.last;
  }
}

export interface EncoderOptions extends EncodeOptions {
  /** Number commands that carry no `seq`. Off by default, as in the official gateway (§4). */
  sequenceIds?: boolean;
  /** A command that cannot be encoded is dropped and reported here instead of erroring the stream. */
  onReject?: (cmd: Command, error: RapiEncodeError) => void;
}

export function commandEncoder(opts: EncoderOptions = {}): Step<Command, Uint8Array> {
  const counter = new SequenceCounter();
  return ({
    transform(cmd, controller) {
      const numbered = opts.sequenceIds && cmd.seq === undefined ? { ...cmd, seq: counter.next() } : cmd;
      try {
        controller.enqueue(encodeCommand(numbered, opts));
      } catch (err) {
        if (!(err instanceof RapiEncodeError)) throw err;
        opts.onReject?.(cmd, err);
      }
    },
  });
}

/** Frame → what it is for a host (§5 rule 2). */
export function classify(frame: RapiFrame, offset: number): FrameOrBad {
  if (frame.code === "OK" || frame.code === "NK") return { kind: "reply", offset, frame, ok: frame.code === "OK", fields: frame.params };
  if (isNotification(frame)) {
    const n = parseNotification(frame);
    if (!n.ok) return { kind: "bad", offset, reason: "malformed", message: n.error, text: frame.text, length: frame.text.length };
    return { kind: "notification", offset, frame, notification: n.value };
  }
  return { kind: "command", offset, frame };
}

export interface DecoderOptions {
  /** Longest line kept; longer ones are reported as `too-long` and skipped. Controller output stays under 40 characters. */
  maxLine?: number;
  /** Default true: the controller checksums everything since RAPI 2.0.0 (§3), so a line without one is suspect. */
  requireChecksum?: boolean;
  /** A garbage run is reported at the latest after this many bytes, so endless noise is still seen. */
  maxGarbage?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DOLLAR = 0x24;
const PREVIEW = 32;

/**
 * Splits controller output into frames. `$` always starts a frame (and cuts off one in progress),
 * CR ends it, bytes outside frames are garbage except CR/LF. Memory is bounded by `maxLine`.
 */
export class RapiDecoder {
  private readonly maxLine: number;
  private readonly maxGarbage: number;
  private readonly requireChecksum: boolean;
  private pos = 0;
  private line: string | null = null;
  private lineStart = 0;
  private overflow = 0;
  private garbageStart = -1;
  private garbageLength = 0;
  private garbagePreview = "";

  constructor(opts: DecoderOptions = {}) {
    this.maxLine = opts.maxLine ?? 64;
    this.maxGarbage = opts.maxGarbage ?? 1024;
    this.requireChecksum = opts.requireChecksum ?? true;
  }

  /** Characters held (for tests of the memory bound). */
  get buffered(): number {
    return (this.line?.length ?? 0) + this.garbagePreview.length;
  }

  push(chunk: Uint8Array): FrameOrBad[] {
    const out: FrameOrBad[] = [];
    for (const b of chunk) {
      if (b === DOLLAR) {
        this.endGarbage(out);
        if (this.line !== null) this.cut(out, "the next $ arrived before CR");
        this.line = "$";
        this.lineStart = this.pos;
        this.overflow = 0;
      } else if (b === CR) {
        if (this.line !== null) this.endLine(out);
        else this.endGarbage(out);
      } else if (this.line !== null) {
        if (this.line.length < this.maxLine) this.line += String.fromCharCode(b);
        else this.overflow++;
      } else if (b === LF) {
        this.endGarbage(out);
      } else {
        if (this.garbageStart < 0) this.garbageStart = this.pos;
        this.garbageLength++;
        if (this.garbagePreview.length < PREVIEW) this.garbagePreview += String.fromCharCode(b);
        if (this.garbageLength >= this.maxGarbage) this.endGarbage(out);
      }
      this.pos++;
    }
    return out;
  }

  /** End of stream: a frame still open is truncated, pending garbage is reported. */
  flush(): FrameOrBad[] {
    const out: FrameOrBad[] = [];
    this.endGarbage(out);
    if (this.line !== null) this.cut(out, "the stream ended before CR");
    return out;
  }

  private cut(out: FrameOrBad[], why: string): void {
    const text = this.line ?? "";
    out.push({ kind: "bad", offset: this.lineStart, reason: "truncated", message: `frame "${printable(text)}" cut short: ${why}`, text, length: text.length + this.overflow });
    this.line = null;
  }

  private endLine(out: FrameOrBad[]): void {
    const text = this.line ?? "";
    this.line = null;
    const length = text.length + this.overflow;
    if (this.overflow > 0) {
      out.push({ kind: "bad", offset: this.lineStart, reason: "too-long", message: `frame of ${length} characters exceeds the ${this.maxLine}-character bound`, text, length });
      return;
    }
    const r = parseLine(text, { requireChecksum: this.requireChecksum });
    if (!r.ok) out.push({ kind: "bad", offset: this.lineStart, reason: r.reason, message: r.message, text, length });
    else out.push(classify(r.frame, this.lineStart));
  }

  private endGarbage(out: FrameOrBad[]): void {
    if (this.garbageStart < 0) return;
    const text = this.garbagePreview;
    out.push({ kind: "bad", offset: this.garbageStart, reason: "garbage", message: `${this.garbageLength} byte(s) outside any frame: "${printable(text)}"`, text, length: this.garbageLength });
    this.garbageStart = -1;
    this.garbageLength = 0;
    this.garbagePreview = "";
  }
}

/** Controller bytes → frames, replies, notifications and bad-frame reports. Never errors on input. */
export function rapiDecoder(opts: DecoderOptions = {}): Step<Uint8Array, FrameOrBad> {
  const d = new RapiDecoder(opts);
  return ({
    transform(chunk, controller) {
      for (const item of d.push(chunk)) controller.enqueue(item);
    },
    flush(controller) {
      for (const item of d.flush()) controller.enqueue(item);
    },
  });
}

/** Everything in `input` (bytes or latin1 text), as one complete stream. */
export function decode(input: Uint8Array | string, opts: DecoderOptions = {}): FrameOrBad[] {
  const d = new RapiDecoder(opts);
  return [...d.push(typeof input === "string" ? latin1Bytes(input) : input), ...d.flush()];
}

/**
 * The host's side of a RAPI link: controller bytes → items, commands → bytes. Commands are checked
 * before they are queued (RapiSession.request), so the encoder never has to drop one.
 */
export const rapiHostCodec: Codec<FrameOrBad, Command> = {
  decoder: () => rapiDecoder(),
  encoder: () => commandEncoder(),
};
