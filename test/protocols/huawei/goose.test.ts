import { describe, expect, test } from "bun:test";
import { DATASET, messageOf, messagePdu, type GooseMessage } from "../../../protocols/huawei/goose/datasets.ts";
import { crc16Modbus } from "../../../protocols/huawei/goose/crc16.ts";
import { decodeFrame, encodeFrame, verifyFrame, type DecodedFrame } from "../../../protocols/huawei/goose/frame.ts";
import { decodeGoosePdu, encodeGoosePdu, gooseTime } from "../../../protocols/huawei/goose/pdu.ts";
import { SecretBytes } from "../../../protocols/huawei/secret.ts";
import { ConnectorMachine } from "../../../protocols/huawei/connector.ts";
import { buildFrame } from "../../../protocols/huawei/goose/build.ts";
import { CRC_VECTORS, DISPENSER_MAC, G1, G2, G3, G4, G4_UNSIGNED, PSU_MAC } from "./goose-vectors.ts";
import { hex, MOCK_KEY, toHex } from "./vectors.ts";

const KEY = new SecretBytes(hex(MOCK_KEY));

function decoded(h: string): DecodedFrame {
  const f = decodeFrame(hex(h));
  if (typeof f === "string") throw new Error(f);
  return f;
}

test("§12.3 CRC-16/MODBUS vectors, and the check value", () => {
  for (const [input, crc] of CRC_VECTORS) expect(crc16Modbus(hex(input))).toBe(crc);
  expect(crc16Modbus(new TextEncoder().encode("123456789"))).toBe(0x4b37);
});

const t = (seconds: number, fraction: number) => ({ seconds, fraction, quality: 0x0a });

const SENT: [string, string, GooseMessage, ReturnType<typeof t>, number][] = [
  ["G1", G1, { dataset: "PowerRequest", connector: 1, chargingSn: 0xffff, requirement: 2, mode: 2, voltage: 500, current: 2 }, t(0x6b018388, 0x2ccccc), 6],
  ["G2", G2, { dataset: "PowerRequest", connector: 1, chargingSn: 0xffff, requirement: 5, mode: 2, voltage: 400, current: 50 }, t(0x6b01838c, 0x2ccccc), 12],
  ["G3", G3, { dataset: "ShutdownRequest", connector: 1, chargingSn: 0xffff, reason: 0x1000 }, t(0x6b018391, 0x2ccccc), 14],
];

describe("§12.3 frames the dispenser sends are built byte for byte, CRC and HMAC included", () => {
  for (const [name, h, message, timestamp, stNum] of SENT) {
    test(name, () => {
      const pdu = encodeGoosePdu(messagePdu(message, { timestamp, stNum, sqNum: 0 }));
      const bytes = encodeFrame({ destination: hex(PSU_MAC), source: hex(DISPENSER_MAC), tci: 0xa000, appId: name === "G3" ? 0x3002 : 0x0001, pdu }, KEY);
      expect(toHex(bytes)).toBe(toHex(hex(h)));
      const f = decoded(h);
      expect(f.signed).toBe(true);
      expect(verifyFrame(f, KEY)).toBe(true);
      const back = decodeGoosePdu(f.pdu);
      if (typeof back === "string") throw new Error(back);
      expect(messageOf(back)).toEqual(message);
      expect(back).toMatchObject({ stNum, sqNum: 0, timeAllowedToLive: 10_000, confRev: 1, simulation: false, ndsCom: false, timestamp });
    });
  }
  test("G1 is 217 bytes and its HMAC covers ethertype + APPID … last PDU byte only", () => {
    const bytes = hex(G1);
    expect(bytes.length).toBe(217);
    const f = decoded(G1);
    expect(toHex(f.authenticated)).toBe("88b8" + toHex(bytes.subarray(18, 217 - 35)));
    expect(toHex(f.authenticated).endsWith("8602ffff8602ffff")).toBe(true);
  });
});

test("G4, the mock's signed reply, decodes, verifies and re-encodes byte for byte", () => {
  const f = decoded(G4);
  expect(f).toMatchObject({ appId: 0x3001, tci: 0xa000, signed: true, reserved1: 0x0023, reserved2: 0x09b8 });
  expect(verifyFrame(f, KEY)).toBe(true);
  const pdu = decodeGoosePdu(f.pdu);
  if (typeof pdu === "string") throw new Error(pdu);
  expect(pdu.goId).toBe(DATASET.powerRequestReply);
  const reply = messageOf(pdu);
  expect(reply).toEqual({ dataset: "PowerRequestReply", connector: 1, chargingSn: 0xffff, requirement: 1, result: 0, mode: 2, voltage: 0, current: 0 });
  if (typeof reply === "string") throw new Error(reply);
  const again = encodeFrame({ destination: f.destination, source: f.source, tci: f.tci, appId: 0x3001, pdu: encodeGoosePdu(messagePdu(reply, { timestamp: pdu.timestamp, stNum: 0, sqNum: 0 })) }, KEY);
  expect(toHex(again)).toBe(toHex(hex(G4)));
});

test("the unsigned G4 keeps its length field, has zero reserved fields and no trailer", () => {
  const f = decoded(G4_UNSIGNED);
  expect(f).toMatchObject({ signed: false, reserved1: 0, reserved2: 0, hmac: null });
  expect(verifyFrame(f, KEY)).toBe(false);
  expect(toHex(hex(G4_UNSIGNED).subarray(20, 22))).toBe("00b7");
  expect(toHex(encodeFrame({ destination: f.destination, source: f.source, tci: f.tci, appId: f.appId, pdu: f.pdu }))).toBe(toHex(hex(G4_UNSIGNED)));
});

test("one flipped bit anywhere the HMAC covers, or a different key, fails verification", () => {
  const bytes = hex(G1);
  for (let i = 16; i < bytes.length; i++) {
    const b = bytes.slice();
    b[i] = (b[i] ?? 0) ^ 0x01;
    const f = decodeFrame(b);
    expect(typeof f === "string" || !verifyFrame(f, KEY)).toBe(true);
  }
  const other = hex(MOCK_KEY);
  other[0] = (other[0] ?? 0) ^ 0x80;
  expect(verifyFrame(decoded(G1), new SecretBytes(other))).toBe(false);
});

test("G5: Huawei's real-world PowerRequest PDUs (TAL in 2 bytes, confRev 0, mode None) and their header CRC", () => {
  for (const [voltage, current, vHex, iHex] of [[999, 5, "4479c000", "40a00000"], [309, 50, "439a8000", "42480000"]] as const) {
    const message: GooseMessage = { dataset: "PowerRequest", connector: 1, chargingSn: 0xffff, requirement: 5, mode: 0, voltage, current };
    const pdu = encodeGoosePdu(messagePdu(message, { timestamp: t(0x6361bd06, 0), stNum: 1, sqNum: 0, confRev: 0 }), { talBytes: 2 });
    const h = toHex(pdu);
    expect(h).toContain("81022710");
    expect(h).toContain("880400000000");
    expect(h).toContain(`8704${vHex}8704${iHex}`);
    expect(h).toContain("86020000"); // mode 0
    // 2 bytes shorter than the library's PDU: length field 0x00A2, whose header CRC is Huawei's 0x3DAC.
    expect(8 + pdu.length).toBe(0xa2);
    const frame = encodeFrame({ destination: hex(PSU_MAC), source: hex(DISPENSER_MAC), tci: 0xa0c8, appId: 1, pdu }, KEY);
    expect(toHex(frame.subarray(16, 26))).toBe("88b8000100a200233dac");
    const back = decodeGoosePdu(pdu);
    if (typeof back === "string") throw new Error(back);
    expect(back.timeAllowedToLive).toBe(10_000);
    expect(messageOf(back)).toEqual(message);
  }
});

test("timestamps: u32 seconds, 24-bit fraction, quality 0x0A", () => {
  expect(gooseTime(0x6b018388 * 1000 + 175)).toEqual({ seconds: 0x6b018388, fraction: 0x2ccccc, quality: 0x0a });
  expect(gooseTime(0x6b018381 * 1000 + 295)).toEqual({ seconds: 0x6b018381, fraction: 0x4b851e, quality: 0x0a });
  expect(gooseTime(0).fraction).toBe(0);
  expect(gooseTime(999.9999).fraction).toBeLessThan(2 ** 24);
});

test("malformed PDUs and frames are reported as text, not thrown", () => {
  const pdu = hex(G1).subarray(26, 217 - 35);
  expect(decodeGoosePdu(pdu.subarray(0, 50))).toEqual(expect.stringContaining("claims"));
  const swapped = pdu.slice();
  swapped[3] = 0x81; // gocbRef tag where 0x80 belongs
  expect(decodeGoosePdu(swapped)).toEqual(expect.stringContaining("expected 80..8a,ab in order"));
  expect(decodeFrame(hex("0102"))).toEqual(expect.stringContaining("shorter than an Ethernet header"));
  expect(decodeFrame(hex(G1.replace("88b8 0001", "88b9 0001")))).toEqual("ethertype 0x88b9, expected 0x88b8");
  expect(decodeFrame(hex(G1).subarray(0, 200))).toEqual(expect.stringContaining("malformed security trailer"));
  expect(decodeFrame(hex(G1.replace("00a4 0023 3c4c", "0fa4 0023 3c4c")))).toEqual(expect.stringContaining("runs past the frame"));
  const stop: GooseMessage = { dataset: "ShutdownRequest", connector: 1, chargingSn: 0xffff, reason: 0x1000 };
  expect(() => encodeGoosePdu({ ...messagePdu(stop, { timestamp: t(0, 0), stNum: 0, sqNum: 0 }), goId: "bad\u0000" })).toThrow("printable ASCII");
});

test("G1 and G3 from the state machine's frame choice, the retransmission counters and the clock", () => {
  const m = new ConnectorMachine({ globalConnector: 1, signing: true, now: () => 0 });
  m.setLimits({ minVoltage: 100, maxVoltage: 1000, minCurrent: 1, maxCurrent: 100 });
  const to = { destination: hex(PSU_MAC), source: hex(DISPENSER_MAC) };
  expect(m.goose()).toBeUndefined(); // no key yet: nothing may be sent
  m.carPlugged();
  m.keyWritten();
  m.allocationReply(true);
  m.setMode("Export", "CableCheck");
  m.setSetpoint(500, 2);
  const g1 = m.goose();
  if (!g1) throw new Error("nothing to send");
  expect(toHex(buildFrame(g1, { stNum: 6, sqNum: 0 }, 0x6b018388 * 1000 + 175, to, KEY))).toBe(toHex(hex(G1)));
  m.carUnplugged();
  const g3 = m.goose();
  if (!g3) throw new Error("nothing to send");
  expect(toHex(buildFrame(g3, { stNum: 14, sqNum: 0 }, 0x6b018391 * 1000 + 175, to, KEY))).toBe(toHex(hex(G3)));
  // Without a key the same message goes out plain.
  expect(decoded(toHex(buildFrame(g3, { stNum: 1, sqNum: 0 }, 0, to))).signed).toBe(false);
});
