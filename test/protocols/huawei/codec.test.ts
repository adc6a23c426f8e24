import { describe, expect, test } from "bun:test";
import { aduDecoder, aduEncoder, decodeAdus, encodeAdu, type Adu, type AduOrBad } from "../../../protocols/huawei/codec.ts";
import { decodePdu, encodePdu, type Pdu } from "../../../protocols/huawei/pdu.ts";
import { wordsToBytes } from "../../../protocols/huawei/words.ts";
import { hex, M, MOCK_KEY, toHex, U } from "./vectors.ts";

function one(bytes: Uint8Array, from: "psu" | "dispenser"): Adu {
  const items = decodeAdus(bytes, from);
  expect(items).toHaveLength(1);
  const item = items[0];
  if (!item?.ok) throw new Error(`expected an ADU, got ${JSON.stringify(item)}`);
  return item.adu;
}

describe("§12.1 requests (PSU → dispenser) decode and re-encode byte for byte", () => {
  for (const v of Object.values(M)) {
    test(v.name, () => {
      const bytes = hex(v.request);
      const adu = one(bytes, "psu");
      expect(toHex(encodeAdu(adu))).toBe(toHex(bytes));
    });
  }
});

describe("§12.1 responses (dispenser → PSU) decode and re-encode byte for byte", () => {
  for (const v of Object.values(M)) {
    test(v.name, () => {
      const bytes = hex(v.response);
      const adu = one(bytes, "dispenser");
      expect(adu.pdu.kind).not.toBe("invalid");
      expect(toHex(encodeAdu(adu))).toBe(toHex(bytes));
    });
  }
});

test("decoded fields of representative requests", () => {
  expect(one(hex(M.M1.request), "psu")).toEqual({ transactionId: 0, unitId: 0xff, pdu: { kind: "readRequest", address: 0x1015, count: 1 } });
  expect(one(hex(M.M2.request), "psu").pdu).toEqual({ kind: "writeSingle", address: 0x2006, value: 1 });
  expect(one(hex(M.M3.request), "psu").pdu).toEqual({ kind: "writeMultiple", address: 0x2111, values: Uint16Array.of(0xc262, 0xf976, 0x507c) });
  const m4 = one(hex(M.M4.request), "psu");
  expect(m4.transactionId).toBe(0x000b);
  expect(m4.pdu.kind === "writeMultiple" && toHex(wordsToBytes(m4.pdu.values))).toBe(MOCK_KEY);
  expect(one(hex(M.M13.request), "psu")).toMatchObject({ transactionId: 0x1247, unitId: 0x01 });
  expect(one(hex(M.M24.request), "psu").pdu).toEqual({ kind: "other", functionCode: 0x04, data: hex("0000 0001") });
  expect(one(hex(M.M23.response), "dispenser").pdu).toEqual({ kind: "exception", functionCode: 0x03, code: 0x03 });
  expect(one(hex(M.M16.response), "dispenser").pdu).toEqual({ kind: "readResponse", values: Uint16Array.of(2, 0x80, 1, 0, 3) });
});

describe("§12.2 unsolicited reports decode and re-encode byte for byte", () => {
  for (const [name, h] of Object.entries(U)) {
    test(name, () => {
      const bytes = hex(h);
      const adu = one(bytes, "dispenser");
      expect(adu.unitId).toBe(0);
      expect(adu.pdu.kind).toBe("report");
      expect(toHex(encodeAdu(adu))).toBe(toHex(bytes));
    });
  }
  test("U1 fields", () => {
    const adu = one(hex(U.U1), "dispenser");
    if (adu.pdu.kind !== "report") throw new Error("not a report");
    const r = adu.pdu.report;
    expect(r.reportingType).toBe(0);
    expect(r.devices).toHaveLength(1);
    expect(r.devices[0]?.location).toBe(0);
    const segs = r.devices[0]?.segments ?? [];
    expect(segs.map((s) => [s.address, s.values.length])).toEqual([
      [0x1024, 2], [0x3001, 4], [0x110b, 1], [0x110d, 1], [0x1154, 1], [0x1156, 1], [0x3105, 1], [0x3115, 1],
    ]);
    expect(Array.from(segs[0]?.values ?? [])).toEqual([0x6b01, 0x837d]);
  });
});

test("the report answer and the exception a PSU might send are told apart from requests", () => {
  expect(decodePdu(hex("41 91 0001 0000"), "psu")).toEqual({ kind: "reportAnswer", status: 0 });
  expect(decodePdu(hex("41 91 0001 0005"), "psu")).toEqual({ kind: "reportAnswer", status: 5 });
  expect(decodePdu(hex("C1 01"), "psu")).toEqual({ kind: "exception", functionCode: 0x41, code: 1 });
  // A 0x41 that is not an answer is an unknown request from the PSU.
  expect(decodePdu(hex("41 91 0003 000000"), "psu").kind).toBe("other");
  expect(toHex(encodePdu({ kind: "reportAnswer", status: 0 }))).toBe("4191000100" + "00");
});

test("PDUs that do not fit their function code come back as `invalid`, never as an exception thrown", () => {
  const cases: [string, "psu" | "dispenser"][] = [
    ["03 1015", "psu"],
    ["03 1015 0001 00", "psu"],
    ["06 2006", "psu"],
    ["10 2111 0003 05 C262F976507C", "psu"], // byte count mismatch
    ["10 2111 0003 06 C262F976", "psu"], // data short
    ["10 2111 007C F8", "psu"], // count 124 > 123
    ["10 2111 0000 00", "psu"], // count 0
    ["03 03 000100", "dispenser"],
    ["10 2111", "dispenser"],
    ["41 91 0010 00 0001", "dispenser"],
    ["83", "dispenser"],
  ];
  for (const [h, from] of cases) expect(decodePdu(hex(h), from).kind).toBe("invalid");
});

test("encodePdu refuses values our own code must never send", () => {
  expect(() => encodePdu({ kind: "readRequest", address: 0x10000, count: 1 })).toThrow(RangeError);
  expect(() => encodePdu({ kind: "writeMultiple", address: 0, values: new Uint16Array(124) })).toThrow(/1\.\.123/);
  expect(() => encodePdu({ kind: "readResponse", values: new Uint16Array(126) })).toThrow(RangeError);
  expect(() => encodePdu({ kind: "other", functionCode: 0x41, data: new Uint8Array(253) })).toThrow(/253/);
});

async function collect(chunks: Uint8Array[], from: "psu" | "dispenser"): Promise<AduOrBad[]> {
  const out: AduOrBad[] = [];
  await new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  })
    .pipeThrough(new TransformStream(aduDecoder(from)))
    .pipeTo(new WritableStream({ write: (x) => void out.push(x) }));
  return out;
}

test("the stream decoder reassembles several ADUs per chunk and ADUs split byte by byte", async () => {
  const all = Object.values(M).map((v) => hex(v.request));
  const joined = Uint8Array.from(all.flatMap((b) => [...b]));
  const together = await collect([joined], "psu");
  const bytewise = await collect(Array.from(joined, (b) => Uint8Array.of(b)), "psu");
  expect(together).toHaveLength(all.length);
  expect(bytewise).toEqual(together);
  let pos = 0;
  together.forEach((item, i) => {
    expect(item).toMatchObject({ ok: true, position: pos, length: all[i]?.length });
    pos += all[i]?.length ?? 0;
  });
});

test("a bad header is reported once with its position, then the stream is silent", async () => {
  const good = hex(M.M1.request);
  const bad = hex("0001 0001 0006 FF 03 1015 0001"); // protocol id 1
  const out = await collect([good, bad, good, good], "psu");
  expect(out).toHaveLength(2);
  expect(out[0]?.ok).toBe(true);
  expect(out[1]).toEqual({ ok: false, position: good.length, reason: "bad MBAP header: protocol id 1, expected 0", fatal: true });
});

test("oversize and zero length fields are fatal; length 1 is skipped and the stream goes on", async () => {
  for (const h of ["0000 0000 00FF FF 03", "0000 0000 0000 FF 03"]) {
    const out = await collect([hex(h), hex(M.M1.request)], "psu");
    expect(out).toEqual([{ ok: false, position: 0, reason: expect.stringContaining("length field"), fatal: true }]);
  }
  const out = await collect([hex("0007 0000 0001 FF"), hex(M.M1.request)], "psu");
  expect(out[0]).toEqual({ ok: false, position: 0, reason: "ADU without a PDU (length field 1)", fatal: false });
  expect(out[1]).toMatchObject({ ok: true, position: 7 });
});

test("a stream that ends inside an ADU reports the partial one", async () => {
  const m = hex(M.M4.request);
  const out = await collect([m, m.subarray(0, 20)], "psu");
  expect(out).toHaveLength(2);
  expect(out[1]).toEqual({ ok: false, position: m.length, reason: expect.stringContaining("stream ended inside an ADU (20 bytes"), fatal: true });
});

test("the stream encoder writes what encodeAdu writes", async () => {
  const adus = Object.values(U).map((h) => one(hex(h), "dispenser"));
  const out: Uint8Array[] = [];
  await new ReadableStream<Adu>({
    start(c) {
      for (const a of adus) c.enqueue(a);
      c.close();
    },
  })
    .pipeThrough(new TransformStream(aduEncoder()))
    .pipeTo(new WritableStream({ write: (x) => void out.push(x) }));
  expect(out.map(toHex)).toEqual(Object.values(U).map((h) => toHex(hex(h))));
});

test("every PDU kind survives encode → decode from the side that sends it", () => {
  const fromPsu: Pdu[] = [
    { kind: "readRequest", address: 0xfff0, count: 125 },
    { kind: "writeSingle", address: 1, value: 0xffff },
    { kind: "writeMultiple", address: 0x2115, values: new Uint16Array(123).fill(0xa5a5) },
    { kind: "reportAnswer", status: 1 },
    { kind: "exception", functionCode: 0x41, code: 1 },
    { kind: "other", functionCode: 0x2b, data: hex("0e01 00") },
  ];
  const fromDispenser: Pdu[] = [
    { kind: "readResponse", values: new Uint16Array(125).fill(7) },
    { kind: "writeSingle", address: 2, value: 3 },
    { kind: "writeMultipleResponse", address: 0x2007, count: 6 },
    { kind: "exception", functionCode: 0x04, code: 1 },
    { kind: "report", report: { reportingType: 0x80, devices: [{ location: 0, segments: [] }, { location: 1, segments: [{ address: 5, values: Uint16Array.of(1, 2) }] }] } },
  ];
  for (const p of fromPsu) expect(decodePdu(encodePdu(p), "psu")).toEqual(p);
  for (const p of fromDispenser) expect(decodePdu(encodePdu(p), "dispenser")).toEqual(p);
});
