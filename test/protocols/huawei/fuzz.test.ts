import { expect, test } from "bun:test";
import { aduDecoder, AduReader, decodeAdus, encodeAdu, type AduOrBad } from "../../../protocols/huawei/codec.ts";
import { MAX_ADU_LENGTH } from "../../../protocols/huawei/mbap.ts";
import { decodePdu } from "../../../protocols/huawei/pdu.ts";
import { RegisterStore } from "../../../protocols/huawei/registers.ts";
import { mutate, prng, randomBytes } from "../../support/prng.ts";
import { hex, M, toHex, U } from "./vectors.ts";
import { joinBytes } from "../../../lib/bytes.ts";

const FROM_PSU = Object.values(M).map((v) => hex(v.request));
const FROM_DISPENSER = [...Object.values(M).map((v) => hex(v.response)), ...Object.values(U).map(hex)];


/** Random input: pure noise, noise behind a plausible MBAP header, or mutated valid traffic. */
function input(rand: () => number, pool: Uint8Array[]): Uint8Array {
  const kind = (rand() * 3) | 0;
  if (kind === 0) return randomBytes(rand, (rand() * 600) | 0);
  if (kind === 1) {
    const b = randomBytes(rand, 7 + ((rand() * 300) | 0));
    b[2] = 0;
    b[3] = 0;
    b[4] = rand() < 0.5 ? 0 : 1;
    return b;
  }
  const parts: Uint8Array[] = [];
  const n = 1 + ((rand() * 8) | 0);
  for (let i = 0; i < n; i++) parts.push(pool[(rand() * pool.length) | 0] ?? new Uint8Array(0));
  const joined = joinBytes(parts);
  return rand() < 0.8 ? mutate(rand, joined) : joined;
}

/** Feeds `bytes` in random chunks exactly as the stream stage does, checking the bounds on the way. */
function chunked(rand: () => number, bytes: Uint8Array, from: "psu" | "dispenser"): { items: AduOrBad[]; maxBuffered: number } {
  const r = new AduReader(from);
  const items: AduOrBad[] = [];
  let maxBuffered = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + ((rand() * 97) | 0);
    r.push(bytes.subarray(i, i + n));
    i += n;
    // Each item consumes at least 7 bytes, so the loop is bounded by the input size.
    let guard = 0;
    for (let item = r.next(); item; item = r.next()) {
      items.push(item);
      if (++guard > bytes.length) throw new Error("decoder does not make progress");
    }
    maxBuffered = Math.max(maxBuffered, r.buffered);
  }
  const tail = r.end();
  if (tail) items.push(tail);
  return { items, maxBuffered };
}

test("20 000 random and mutated streams: no throw, bounded memory, chunking never changes the result", () => {
  const rand = prng(0x4a17);
  let adus = 0;
  let fatal = 0;
  let invalid = 0;
  for (let i = 0; i < 20_000; i++) {
    const from = i % 2 === 0 ? "psu" : "dispenser";
    const bytes = input(rand, from === "psu" ? FROM_PSU : FROM_DISPENSER);
    const { items, maxBuffered } = chunked(rand, bytes, from);
    // Between pushes at most one incomplete ADU waits.
    expect(maxBuffered).toBeLessThan(MAX_ADU_LENGTH);
    expect(items).toEqual(decodeAdus(bytes, from));
    let last = -1;
    for (const item of items) {
      expect(item.position).toBeGreaterThan(last);
      expect(item.position).toBeLessThan(Math.max(bytes.length, 1));
      last = item.position;
      if (item.ok) {
        adus++;
        if (item.adu.pdu.kind === "invalid") invalid++;
        // Whatever was accepted re-encodes to exactly the bytes it came from.
        expect(toHex(encodeAdu(item.adu))).toBe(toHex(bytes.subarray(item.position, item.position + item.length)));
      } else if (item.fatal) {
        fatal++;
        expect(items.indexOf(item)).toBe(items.length - 1);
      }
    }
  }
  expect(adus).toBeGreaterThan(10_000);
  expect(fatal).toBeGreaterThan(5_000);
  expect(invalid).toBeGreaterThan(100);
});

test("the register server answers every decodable request from random traffic without throwing", () => {
  const rand = prng(0x5e7);
  const store = new RegisterStore({ connectors: 4, clock: () => 0 });
  let answered = 0;
  for (let i = 0; i < 5_000; i++) {
    for (const item of decodeAdus(input(rand, FROM_PSU), "psu")) {
      if (!item.ok) continue;
      const reply = store.serve(item.adu);
      if (reply) {
        answered++;
        // Every reply is itself a valid ADU that a PSU could decode.
        const back = decodeAdus(encodeAdu(reply), "dispenser");
        expect(back).toHaveLength(1);
        expect(back[0]?.ok && back[0].adu.pdu.kind).not.toBe("invalid");
      }
    }
  }
  expect(answered).toBeGreaterThan(2_000);
});

test("decodePdu never throws on any short byte string, from either side", () => {
  const rand = prng(99);
  for (let i = 0; i < 20_000; i++) {
    const b = randomBytes(rand, (rand() * 12) | 0);
    if (b.length > 0 && rand() < 0.5) b[0] = [0x03, 0x06, 0x10, 0x41, 0x83, 0xc1][(rand() * 6) | 0] ?? 0;
    expect(() => decodePdu(b, "psu")).not.toThrow();
    expect(() => decodePdu(b, "dispenser")).not.toThrow();
  }
});

test("the stream stage under random chunking matches the one-shot decoder", async () => {
  const rand = prng(0xc0de);
  for (let i = 0; i < 300; i++) {
    const bytes = input(rand, FROM_DISPENSER);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + ((rand() * 40) | 0);
      chunks.push(bytes.slice(at, at + n));
      at += n;
    }
    const out: AduOrBad[] = [];
    await new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(ch);
        c.close();
      },
    })
      .pipeThrough(new TransformStream(aduDecoder("dispenser")))
      .pipeTo(new WritableStream({ write: (x) => void out.push(x) }));
    expect(out).toEqual(decodeAdus(bytes, "dispenser"));
  }
});
