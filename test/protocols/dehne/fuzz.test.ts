import { expect, test } from "bun:test";
import { ProtocolError } from "../../../lib/errors.ts";
import { chargerStreamDecoder, FrameReader, MAX_CHARGER_PAYLOAD, type StreamItem } from "../../../protocols/dehne/framing.ts";
import { decodeChargerFrame } from "../../../protocols/dehne/wire.ts";
import { mutate, prng, randomBytes } from "../../support/prng.ts";
import * as V from "./vectors.ts";

const VALID = [V.V3.bytes, V.V4.bytes, V.V5.bytes, V.V6.bytes, V.V7.bytes, V.V8.bytes];

/** Feeds `input` in random-sized chunks through reader + decoder exactly as a session does. */
function run(rand: () => number, input: Uint8Array, firmware: number): { frames: number; fatal: boolean; bad: number; maxBuffered: number } {
  const r = new FrameReader(MAX_CHARGER_PAYLOAD, new Set([1, 2, 3, 4, 100]), "charger");
  let frames = 0;
  let bad = 0;
  let maxBuffered = 0;
  for (let i = 0; i < input.length; ) {
    const n = 1 + ((rand() * 64) | 0);
    r.push(input.subarray(i, i + n));
    i += n;
    maxBuffered = Math.max(maxBuffered, r.buffered);
    try {
      for (let f = r.next(); f; f = r.next()) {
        frames++;
        try {
          decodeChargerFrame(f, firmware);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          bad++;
        }
      }
    } catch (err) {
      if (!(err instanceof ProtocolError) || !err.fatal) throw err;
      return { frames, fatal: true, bad, maxBuffered };
    }
  }
  return { frames, fatal: false, bad, maxBuffered };
}

test("10 000 random and mutated streams: no throw escapes, memory stays bounded", () => {
  const rand = prng(0xde4e);
  let fatal = 0;
  let frames = 0;
  for (let i = 0; i < 10_000; i++) {
    let input: Uint8Array;
    if (i % 2 === 0) {
      input = randomBytes(rand, (rand() * 2000) | 0);
    } else {
      const parts: number[] = [];
      const count = 1 + ((rand() * 6) | 0);
      for (let k = 0; k < count; k++) parts.push(...VALID[(rand() * VALID.length) | 0]!);
      input = mutate(rand, Uint8Array.from(parts));
    }
    const res = run(rand, input, rand() < 0.5 ? 2 : 4);
    // Never more than one maximal frame plus one chunk waits in memory.
    expect(res.maxBuffered).toBeLessThanOrEqual(5 + MAX_CHARGER_PAYLOAD + 64);
    fatal += res.fatal ? 1 : 0;
    frames += res.frames;
  }
  // Random garbage must mostly be detected as unrecoverable framing rather than silently accepted.
  expect(fatal).toBeGreaterThan(5000);
  expect(frames).toBeGreaterThan(1000);
});

test("the stream decoder ends with one fatal item and then stays silent", async () => {
  const rand = prng(7);
  for (let i = 0; i < 200; i++) {
    const items: StreamItem[] = [];
    const garbage = randomBytes(rand, 200);
    garbage[0] = 0x07; // unknown type right after the handshake
    const rs = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(V.V1.bytes);
        c.enqueue(garbage);
        c.enqueue(V.V3.bytes);
        c.close();
      },
    }).pipeThrough(chargerStreamDecoder());
    const reader = rs.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) items.push(r.value);
    expect(items.map((x) => x.kind)).toEqual(["handshake", "fatal"]);
  }
});
