// One RAPI line (spec §2–§4) without its CR: `$CC[ p1[ p2 …]][ :SS](^XK | *AK)?`.
// Parsing here is the host's strict reading; the simulated controller has its own, looser one
// (sim/rx.ts) because the real parser's quirks are part of what it must reproduce.

import { checksumOf, hex2, MARKER, type ChecksumKind } from "./checksum.ts";

/** Controller receive buffer: at most 31 characters from `$` up to the CR (§2.1). */
export const MAX_COMMAND_CHARS = 31;
/** Command plus nine parameters; the sequence id counts as a token (§2.1). */
export const MAX_TOKENS = 10;

export interface RapiFrame {
  /** The two characters after `$`: `GS`, `OK`, `AT`… */
  code: string;
  /** Parameters in order; an empty string where the line had two spaces in a row (the `$GI` reply has one). */
  params: string[];
  /** Sequence id 1–255, or null when the line carried none. */
  seq: number | null;
  checksum: ChecksumKind | "none";
  /** The line exactly as received or sent, without CR: what the gateway republishes on `rapi/out`. */
  text: string;
}

export type BadReason =
  | "garbage" // bytes outside any frame
  | "truncated" // a frame cut short by the next `$` or by the end of the stream
  | "too-long" // longer than the decoder's line bound
  | "syntax"
  | "missing-checksum"
  | "checksum"
  | "malformed"; // well-formed frame whose fields do not fit its code (e.g. an `$AT` with three fields)

export type ParseResult = { ok: true; frame: RapiFrame } | { ok: false; reason: BadReason; message: string };

const CODE = /^[A-Z][A-Z0-9]$/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const SEQ = /^:[0-9A-Fa-f]{2}$/;

/** Index of the first control character (or DEL), -1 if none. */
function controlAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return i;
  }
  return -1;
}

export interface ParseOptions {
  /** Refuse lines without `^XK`/`*AK`. The controller always appends one since RAPI 2.0.0, so a host should. */
  requireChecksum?: boolean;
}

export function parseLine(text: string, opts: ParseOptions = {}): ParseResult {
  if (!text.startsWith("$")) return { ok: false, reason: "syntax", message: "a frame starts with $" };
  const ctl = controlAt(text);
  if (ctl >= 0) return { ok: false, reason: "syntax", message: `control character 0x${hex2(text.charCodeAt(ctl))} at column ${ctl}` };
  let body = text;
  let checksum: RapiFrame["checksum"] = "none";
  const caret = text.indexOf("^");
  const star = text.indexOf("*");
  const at = caret < 0 ? star : star < 0 ? caret : Math.min(caret, star);
  if (at >= 0) {
    const digits = text.slice(at + 1);
    if (!HEX2.test(digits)) return { ok: false, reason: "syntax", message: `checksum must be exactly two hex digits after ${text[at]}, got "${digits}"` };
    checksum = text[at] === "^" ? "xor" : "sum";
    body = text.slice(0, at);
    const want = checksumOf(checksum, body);
    const got = parseInt(digits, 16);
    if (want !== got) return { ok: false, reason: "checksum", message: `${checksum} checksum ${text[at]}${digits.toUpperCase()} does not match the frame (expected ${text[at]}${hex2(want)})` };
  } else if (opts.requireChecksum) {
    return { ok: false, reason: "missing-checksum", message: "no ^XK checksum (the controller always sends one)" };
  }
  const tokens = body.split(" ");
  const head = tokens[0] ?? "";
  const code = head.slice(1);
  if (!CODE.test(code)) return { ok: false, reason: "syntax", message: `"${head}" is not $ followed by two upper-case letters or digits` };
  let seq: number | null = null;
  const last = tokens[tokens.length - 1] ?? "";
  if (tokens.length > 1 && last.startsWith(":")) {
    if (!SEQ.test(last)) return { ok: false, reason: "syntax", message: `sequence id must be : and two hex digits, got "${last}"` };
    seq = parseInt(last.slice(1), 16);
    if (seq === 0) return { ok: false, reason: "syntax", message: "sequence id 00 is reserved" };
    tokens.pop();
  }
  return { ok: true, frame: { code, params: tokens.slice(1), seq, checksum, text } };
}

export interface FormatOptions {
  seq?: number | null;
  checksum?: ChecksumKind | "none";
}

/** Builds the line text without validation (callers validate: `encodeCommand`, or the simulator, which may send anything). */
export function formatFrame(code: string, params: readonly string[], opts: FormatOptions = {}): string {
  let body = `$${code}`;
  for (const p of params) body += ` ${p}`;
  if (opts.seq !== undefined && opts.seq !== null) body += ` :${hex2(opts.seq)}`;
  const kind = opts.checksum ?? "xor";
  return kind === "none" ? body : `${body}${MARKER[kind]}${hex2(checksumOf(kind, body))}`;
}

export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function latin1Text(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A printable rendering of arbitrary bytes for log messages: non-printables as \xNN. */
export function printable(text: string, max = 40): string {
  let s = "";
  for (let i = 0; i < text.length && i < max; i++) {
    const c = text.charCodeAt(i);
    s += c >= 0x20 && c < 0x7f ? text[i] : `\\x${hex2(c)}`;
  }
  return text.length > max ? `${s}…` : s;
}
