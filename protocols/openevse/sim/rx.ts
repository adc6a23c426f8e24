// How the controller reads host bytes (spec §2.1, §3): a 32-byte buffer restarted by every `$`,
// frames over 31 characters dropped without a word, and a lenient parser whose quirks (invalid
// hex digits read as 0, one-digit checksums, unsigned numbers without validation) are reproduced.

import { checksumOf, type ChecksumKind } from "../checksum.ts";
import { MAX_COMMAND_CHARS } from "../frame.ts";

const CR = 0x0d;
const DOLLAR = 0x24;

/** Bytes → command lines (without CR), as the controller's serial loop collects them. */
export class ControllerReceiver {
  private line: string | null = null;
  private tooLong = false;

  push(bytes: Uint8Array): string[] {
    const out: string[] = [];
    for (const b of bytes) {
      if (b === DOLLAR) {
        this.line = "$";
        this.tooLong = false;
      } else if (b === CR) {
        if (this.line !== null && !this.tooLong) out.push(this.line);
        this.line = null;
      } else if (this.line !== null) {
        // Outside a frame every byte is ignored; inside, the buffer just overflows.
        if (this.line.length >= MAX_COMMAND_CHARS) this.tooLong = true;
        else this.line += String.fromCharCode(b);
      }
    }
    return out;
  }
}

/** The controller's hex reader: a character that is not a hex digit counts as 0. */
export function quirkHex(text: string): number {
  let v = 0;
  for (const ch of text.slice(0, 2)) {
    const d = parseInt(ch, 16);
    v = v * 16 + (Number.isNaN(d) ? 0 : d);
  }
  return v;
}

/** The controller's unsigned decimal reader: no validation, so `-1` or `x` give garbage, mod 2^32. */
export function quirkDec(text: string): number {
  let v = 0;
  for (let i = 0; i < text.length; i++) v = (v * 10 + (text.charCodeAt(i) - 0x30)) >>> 0;
  return v;
}

export interface ControllerCommand {
  code: string;
  params: string[];
  /** Echoed in the reply; null when absent or 00 ("invalid"). */
  seq: number | null;
  checksum: ChecksumKind | "none";
  /** False when the frame's checksum did not match: the controller answers `$NK^21` and does nothing. */
  checksumOk: boolean;
  tokens: number;
}

/** Reads a line the way the controller does; null when it is not a frame at all. */
export function parseAsController(line: string): ControllerCommand | null {
  if (!line.startsWith("$") || line.length < 3) return null;
  const caret = line.indexOf("^");
  const star = line.indexOf("*");
  const at = caret < 0 ? star : star < 0 ? caret : Math.min(caret, star);
  let body = line;
  let checksum: ControllerCommand["checksum"] = "none";
  let checksumOk = true;
  if (at >= 0) {
    checksum = line[at] === "^" ? "xor" : "sum";
    body = line.slice(0, at);
    checksumOk = checksumOf(checksum, body) === quirkHex(line.slice(at + 1));
  }
  const tokens = body.split(" ");
  const code = (tokens[0] ?? "").slice(1);
  let seq: number | null = null;
  const last = tokens[tokens.length - 1] ?? "";
  const count = tokens.length;
  if (tokens.length > 1 && last.startsWith(":")) {
    const id = quirkHex(last.slice(1));
    seq = id === 0 ? null : id;
    tokens.pop();
  }
  return { code, params: tokens.slice(1), seq, checksum, checksumOk, tokens: count };
}
