// Small helpers for the transport checks, which run under bun test and as plain scripts under Deno
// and Node, so they use no test framework: a failed check throws with what it expected.
import type { Link } from "../../../lib/link.ts";

export function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what`, so a check that hangs says what it waited for. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** The rejection's message, or a failure when `p` resolves. */
export async function rejection(p: Promise<unknown>, what: string): Promise<string> {
  try {
    const v = await p;
    if (v && typeof v === "object" && "close" in v && typeof v.close === "function") v.close();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error(`expected a failure: ${what}`);
}

/** Byte `i` of a test stream: position-dependent, so a lost, doubled or reordered chunk shows. */
export const patternByte = (i: number) => (i * 7 + Math.floor(i / 65521)) & 255;

export function patternChunk(offset: number, size: number): Uint8Array {
  const c = new Uint8Array(size);
  for (let i = 0; i < size; i++) c[i] = patternByte(offset + i);
  return c;
}

/** Reads until `n` bytes have come, checking each against the pattern from `offset`. */
export async function readPattern(reader: ReadableStreamDefaultReader<Uint8Array>, offset: number, n: number): Promise<void> {
  let got = 0;
  while (got < n) {
    const r = await reader.read();
    check(!r.done, `stream ended after ${got} of ${n} bytes`);
    for (let i = 0; i < r.value.length; i++) {
      if (r.value[i] !== patternByte(offset + got + i)) throw new Error(`byte ${offset + got + i} is wrong`);
    }
    got += r.value.length;
  }
}

/** Reads text until it contains `needle`; returns everything read. */
export async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, needle: string, ms = 5000): Promise<string> {
  let text = "";
  const loop = async () => {
    while (!text.includes(needle)) {
      const r = await reader.read();
      if (r.done) throw new Error(`stream ended before "${needle}" (got "${text}")`);
      text += dec(r.value);
    }
    return text;
  };
  return within(loop(), ms, `"${needle}" on the stream (got "${text}")`);
}

/** Writes one message, reads the echo, closes. */
export async function roundTrip(link: Link, msg = "ping"): Promise<void> {
  const w = link.writable.getWriter();
  const r = link.readable.getReader();
  await w.write(enc(msg));
  await readUntil(r, msg);
  w.releaseLock();
  r.releaseLock();
  link.close("done");
  await link.closed;
}

export const echo = (link: Link) => void link.readable.pipeTo(link.writable).catch(() => {});
