import { expect, test } from "bun:test";
import { decodeAppPacket, decodeEvsePacket, type Decoded, type EvseMessage, evsemasterCodec } from "../../../protocols/evsemaster/codec.ts";
import { prng as rng } from "../../support/prng.ts";
import { hex, V } from "./vectors.ts";


const valid = Object.entries(V).filter(([k]) => k !== "C10").map(([, h]) => hex(h));

test("random bytes never throw and never yield a valid datagram", () => {
  const r = rng(1);
  let okCount = 0;
  for (let i = 0; i < 10_000; i++) {
    const len = Math.floor(r() * 200);
    const b = new Uint8Array(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
    // Half of them get the magic so the framing paths are exercised too.
    if (i % 2 === 0 && len >= 4) {
      b[0] = 0x06;
      b[1] = 0x01;
      b[2] = 0;
      b[3] = Math.min(len, 25 + Math.floor(r() * 50));
    }
    for (const d of [...decodeEvsePacket(b), ...decodeAppPacket(b)]) if (d.ok) okCount++;
  }
  expect(okCount).toBe(0);
});

test("single-byte mutations of valid datagrams are all rejected (checksum, tail and length enforced)", () => {
  const r = rng(2);
  let cases = 0;
  for (let i = 0; i < 10_000; i++) {
    const base = valid[i % valid.length]!;
    const b = base.slice();
    const pos = Math.floor(r() * b.length);
    const delta = 1 + Math.floor(r() * 255);
    b[pos] = (b[pos]! + delta) & 0xff;
    const results = [...decodeEvsePacket(b), ...decodeAppPacket(b)];
    cases++;
    if (pos === 0 || pos === 1) {
      // Not the magic any more: not EM traffic at all.
      expect(results).toEqual([]);
      continue;
    }
    expect(results.some((x) => x.ok)).toBe(false);
  }
  expect(cases).toBe(10_000);
});

test("truncations, extensions and concatenations never throw", () => {
  const r = rng(3);
  for (let i = 0; i < 5_000; i++) {
    const a = valid[Math.floor(r() * valid.length)]!;
    const b = valid[Math.floor(r() * valid.length)]!;
    const cut = Math.floor(r() * (a.length + b.length));
    const joined = new Uint8Array([...a, ...b]).subarray(0, cut);
    const results = decodeEvsePacket(joined);
    // Whole datagrams at the start still decode; a cut one is an error value.
    if (cut >= a.length) expect(results[0]!.ok).toBe(true);
    else if (cut >= 2) expect(results.every((x) => !x.ok)).toBe(true);
  }
});

test("the codec's decoder reports garbage as values and keeps going", async () => {
  const r = rng(4);
  const input: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) {
    const b = new Uint8Array(30 + Math.floor(r() * 60));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256);
    b[0] = 6;
    b[1] = 1;
    input.push(b);
  }
  input.push(hex(V.B4));
  const out: Decoded<EvseMessage>[] = [];
  await new ReadableStream<Uint8Array>({
    start(c) {
      for (const d of input) c.enqueue(d);
      c.close();
    },
  })
    .pipeThrough(new TransformStream(evsemasterCodec.decoder()))
    .pipeTo(new WritableStream({ write: (x) => void out.push(x) }));
  expect(out.filter((x) => x.ok)).toHaveLength(1);
  expect(out.filter((x) => !x.ok).length).toBeGreaterThanOrEqual(500);
  const last = out.at(-1);
  expect(last?.ok && last.message.type).toBe("heading");
});
