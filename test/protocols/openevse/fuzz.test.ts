// Decoder fuzz: random bytes, mutated and truncated frames, random chunking. Nothing may throw,
// memory stays bounded, and frames surrounded by noise still come through.

import { expect, test } from "bun:test";
import { decode, RapiDecoder, type FrameOrBad } from "../../../protocols/openevse/codec.ts";
import { latin1Bytes } from "../../../protocols/openevse/frame.ts";
import { mutate, prng, randomBytes } from "../../support/prng.ts";
import { COMMANDS, NOTIFICATIONS, REPLIES } from "./vectors.ts";
import { joinBytes } from "../../../lib/bytes.ts";

const VALID = [...Object.values(REPLIES), ...Object.values(NOTIFICATIONS), ...COMMANDS.map((c) => c[1])];
const MAX_LINE = 64;
// Longest line held plus the garbage preview (32).
const BOUND = MAX_LINE + 32;

function pick<T>(rand: () => number, xs: readonly T[]): T {
  const x = xs[(rand() * xs.length) | 0];
  if (x === undefined) throw new Error("empty");
  return x;
}

/** Feeds `input` in random chunks of 1–`maxChunk` bytes; returns the items and the largest buffer seen. */
function feed(rand: () => number, input: Uint8Array, maxChunk = 40): { items: FrameOrBad[]; maxBuffered: number } {
  const d = new RapiDecoder({ maxLine: MAX_LINE });
  const items: FrameOrBad[] = [];
  let maxBuffered = 0;
  for (let i = 0; i < input.length; ) {
    const n = 1 + ((rand() * maxChunk) | 0);
    items.push(...d.push(input.subarray(i, i + n)));
    i += n;
    maxBuffered = Math.max(maxBuffered, d.buffered);
  }
  items.push(...d.flush());
  return { items, maxBuffered };
}

/** Noise that may contain anything, including `$`, CR and LF. */
function noise(rand: () => number): Uint8Array {
  const b = randomBytes(rand, (rand() * 60) | 0);
  for (let i = 0; i < b.length; i++) {
    const r = rand();
    if (r < 0.05) b[i] = 0x24;
    else if (r < 0.1) b[i] = 0x0d;
  }
  return b;
}


test("5000 random, mutated and truncated streams: no throw, bounded memory, ordered offsets", () => {
  const rand = prng(0x0e5e);
  let bad = 0;
  let good = 0;
  for (let iter = 0; iter < 5000; iter++) {
    const parts: Uint8Array[] = [];
    const count = 1 + ((rand() * 8) | 0);
    for (let k = 0; k < count; k++) {
      const r = rand();
      const frame = latin1Bytes(`${pick(rand, VALID)}\r`);
      if (r < 0.3) parts.push(randomBytes(rand, (rand() * 200) | 0));
      else if (r < 0.6) parts.push(mutate(rand, frame));
      else if (r < 0.8) parts.push(frame.subarray(0, (rand() * frame.length) | 0));
      else parts.push(frame);
    }
    const input = joinBytes(parts);
    const { items, maxBuffered } = feed(rand, input);
    expect(maxBuffered).toBeLessThanOrEqual(BOUND);
    let last = -1;
    for (const item of items) {
      expect(item.offset).toBeGreaterThan(last);
      expect(item.offset).toBeLessThan(input.length);
      last = item.offset;
      if (item.kind === "bad") {
        bad++;
        expect(item.message.length).toBeGreaterThan(0);
        expect(item.text.length).toBeLessThanOrEqual(MAX_LINE);
      } else good++;
    }
  }
  // Both kinds really occur, so the assertions above were exercised.
  expect(bad).toBeGreaterThan(5000);
  expect(good).toBeGreaterThan(3000);
});

test("every valid frame survives any noise placed between frames, in any chunking", () => {
  const rand = prng(0x5eed);
  for (let iter = 0; iter < 2000; iter++) {
    const frames: string[] = [];
    const parts: Uint8Array[] = [];
    const count = 1 + ((rand() * 6) | 0);
    for (let k = 0; k < count; k++) {
      parts.push(noise(rand));
      const f = pick(rand, VALID);
      frames.push(f);
      parts.push(latin1Bytes(`${f}\r`));
    }
    parts.push(noise(rand));
    const { items } = feed(rand, joinBytes(parts));
    const recovered = items.flatMap((i) => (i.kind === "bad" ? [] : [i.frame.text]));
    // Noise can itself form a valid-looking frame (a random `$OK…` with a matching checksum is
    // astronomically unlikely but legal), so the real frames must appear in order as a subsequence.
    let at = 0;
    for (const t of recovered) if (t === frames[at]) at++;
    expect(at).toBe(frames.length);
  }
});

test("chunking never changes the result", () => {
  const rand = prng(99);
  for (let iter = 0; iter < 500; iter++) {
    const parts: Uint8Array[] = [];
    for (let k = 0; k < 5; k++) parts.push(noise(rand), latin1Bytes(`${pick(rand, VALID)}\r`));
    const input = joinBytes(parts);
    expect(feed(rand, input, 1 + ((rand() * 10) | 0)).items).toEqual(decode(input, { maxLine: MAX_LINE }));
  }
});

test("a megabyte of noise without CR, with or without $, stays within the bound", () => {
  const rand = prng(1);
  for (const withDollar of [false, true]) {
    const d = new RapiDecoder({ maxLine: MAX_LINE });
    let items = 0;
    let maxBuffered = 0;
    for (let i = 0; i < 256; i++) {
      const chunk = randomBytes(rand, 4096).map((b) => (b === 0x0d || (!withDollar && b === 0x24) ? 0x41 : b));
      items += d.push(chunk).length;
      maxBuffered = Math.max(maxBuffered, d.buffered);
    }
    expect(maxBuffered).toBeLessThanOrEqual(BOUND);
    // Noise is reported as it goes (every 1024 bytes at the latest, or at each `$`), not hoarded.
    expect(items).toBeGreaterThanOrEqual(1000);
  }
});
