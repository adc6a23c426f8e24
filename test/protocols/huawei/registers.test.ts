import { describe, expect, test } from "bun:test";
import { inspect } from "node:util";
import { decodeAdus, encodeAdu, type Adu } from "../../../protocols/huawei/codec.ts";
import type { Pdu } from "../../../protocols/huawei/pdu.ts";
import type { ErrorRegisterDef } from "../../../protocols/huawei/register-map.ts";
import { RegisterStore } from "../../../protocols/huawei/registers.ts";
import { SecretBytes } from "../../../protocols/huawei/secret.ts";
import { bytesToWords, wordsToBytes } from "../../../protocols/huawei/words.ts";
import { hex, M, M19_SECONDS, MOCK_KEY, toHex, type ModbusVector } from "./vectors.ts";

function request(h: string): Adu {
  const [item] = decodeAdus(hex(h), "psu");
  if (!item?.ok) throw new Error(`not an ADU: ${h}`);
  return item.adu;
}

/** The dispenser of the §12.1 captures: one connector, global number 1, the library tests' identity. */
function capturedDispenser(): RegisterStore {
  const s = new RegisterStore({ connectors: 1, clock: () => M19_SECONDS * 1000 + 999 });
  s.setUnit("protocolVersion", 1);
  s.setUnit("hardwareVersion", 3);
  s.setUnit("softwareVersion", "v1.2.3");
  s.setUnit("esn", "0123456789ABCDEF");
  s.setConnector(1, "globalConnector", 1);
  s.setConnector(1, "workingStatus", 8);
  return s;
}

function serve(s: RegisterStore, v: ModbusVector): string {
  const reply = s.serve(request(v.request));
  if (!reply) throw new Error(`${v.name}: no reply`);
  return toHex(encodeAdu(reply));
}

describe("§12.1: the register server answers every captured request byte for byte", () => {
  const s = capturedDispenser();
  for (const v of Object.values(M)) test(v.name, () => expect(serve(s, v)).toBe(toHex(hex(v.response))));
});

test("PSU writes land in typed values and fire each value's hook once per request", () => {
  const s = capturedDispenser();
  const fired: string[] = [];
  s.onUnitWrite("runningMode", (v) => fired.push(`mode=${v}`));
  s.onUnitWrite("psuMac", (v) => fired.push(`mac=${toHex(v)}`));
  s.onUnitWrite("totalInputEnergyKwh", (v) => fired.push(`energy=${v}`));
  for (const n of ["acVoltageA", "acVoltageB", "acVoltageC"] as const) s.onUnitWrite(n, (v) => fired.push(`${n}=${v}`));
  for (const n of ["maxCurrent", "minCurrent", "maxVoltage", "minVoltage", "psuRatedPowerKw", "portAvailability"] as const) {
    s.onConnectorWrite(n, (v, c) => fired.push(`c${c}.${n}=${v}`));
  }
  let key: SecretBytes | undefined;
  s.onConnectorWrite("hmacKey", (v) => (key = v));
  const errors: [ErrorRegisterDef, number][] = [];
  s.onErrorWrite((def, value) => errors.push([def, value]));

  for (const v of [M.M2, M.M3, M.M4, M.M5, M.M6, M.M7, M.M8, M.M9, M.M10, M.M11, M.M12, M.M13, M.M20, M.M21]) serve(s, v);

  expect(fired).toEqual([
    "mode=1",
    "mac=c262f976507c",
    "c1.maxCurrent=100",
    "c1.minCurrent=1",
    "c1.maxVoltage=1000",
    "c1.minVoltage=100",
    "c1.psuRatedPowerKw=60",
    "c1.portAvailability=1",
    "energy=0.00001",
    "acVoltageA=227.5",
    "acVoltageA=230.5",
    "acVoltageB=231",
    "acVoltageC=229.5",
  ]);
  expect(key?.equals(new SecretBytes(hex(MOCK_KEY)))).toBe(true);
  expect(s.connector(1, "hmacKey").equals(new SecretBytes(hex(MOCK_KEY)))).toBe(true);
  expect(errors.map(([d, v]) => [`${d.category}/${d.item}`, v])).toEqual([
    ["PowerUnit/HighVoltageDoorStatusSensor", 1],
    ["AcDcRectifier/rectifier_1", 0x00010002],
  ]);
  expect(s.unitKnown("runningMode")).toBe(true);
  expect(s.unitKnown("acCurrentA")).toBe(false);
});

test("M25: the connector block read returns the dispenser's values and zeros elsewhere", () => {
  const s = new RegisterStore({ connectors: 1 });
  s.setConnector(1, "globalConnector", 3);
  s.setConnector(1, "maxRatedCurrent", 200);
  s.setConnector(1, "outputVoltage", 400);
  s.setConnector(1, "outputCurrent", 20);
  s.setConnector(1, "upstreamVoltage", 12.5);
  s.setConnector(1, "dispenserMac", hex("02ee7d367831"));
  s.setConnector(1, "contactorStatus", 1);
  const reply = s.answer({ kind: "readRequest", address: 0x1100, count: 0x58 });
  if (reply?.kind !== "readResponse") throw new Error("no read response");
  const expected = new Map<number, number>([
    [0x1104, 0x0002],
    [0x1105, 0x4348], [0x1106, 0x0000],
    [0x1107, 0x43c8],
    [0x1109, 0x41a0],
    [0x110e, 0x0003],
    [0x1113, 0x4148],
    [0x114d, 0x02ee], [0x114e, 0x7d36], [0x114f, 0x7831],
    [0x1154, 0x0001],
    [0x1156, 0x0001],
  ]);
  expect(reply.values).toHaveLength(0x58);
  reply.values.forEach((w, i) => expect([0x1100 + i, w]).toEqual([0x1100 + i, expected.get(0x1100 + i) ?? 0]));
});

test("M26: the settings block read after the PSU's writes", () => {
  const s = new RegisterStore({ connectors: 1 });
  s.setConnector(1, "ratedPowerKw", 150);
  const writes: Pdu[] = [
    { kind: "writeMultiple", address: 0x2100, values: Uint16Array.of(0x447a, 0) },
    { kind: "writeMultiple", address: 0x2102, values: Uint16Array.of(0x437a, 0) },
    { kind: "writeMultiple", address: 0x2105, values: Uint16Array.of(0x4316, 0) },
    { kind: "writeMultiple", address: 0x2107, values: Uint16Array.of(0x3f00, 0) },
    { kind: "writeMultiple", address: 0x212d, values: Uint16Array.of(0x42f0, 0) },
    { kind: "writeMultiple", address: 0x2111, values: Uint16Array.of(0xaabb, 0xccdd, 0xeeff) },
    { kind: "writeSingle", address: 0x212f, value: 1 },
  ];
  for (const w of writes) s.answer(w);
  expect(s.connector(1, "maxCurrent")).toBe(250);
  expect(s.connector(1, "minCurrent")).toBe(0.5);
  const reply = s.answer({ kind: "readRequest", address: 0x2100, count: 0x32 });
  if (reply?.kind !== "readResponse") throw new Error("no read response");
  const got = toHex(wordsToBytes(reply.values));
  // 0x2100 max V, 0x2102 max I, 0x2104 gap, 0x2105 min V, 0x2107 min I, 0x2109 rated power (ours),
  // 0x210B–0x2110 gap, 0x2111 MAC, 0x2114 gap, 0x2115 key (none yet), 0x212D power, 0x212F available, 0x2130–31 gap.
  const expected =
    "447a0000" + "437a0000" + "0000" + "43160000" + "3f000000" + "43160000" + "0000".repeat(6) + "aabbccddeeff" + "0000" +
    "00".repeat(48) + "42f00000" + "0001" + "0000".repeat(2);
  expect(got).toBe(expected);
});

test("partial writes keep the untouched words and still fire the hook once", () => {
  const s = new RegisterStore({ connectors: 1 });
  const seen: number[] = [];
  s.onConnectorWrite("maxCurrent", (v) => seen.push(v));
  s.answer({ kind: "writeMultiple", address: 0x2102, values: Uint16Array.of(0x42c8, 0x0000) }); // 100.0
  s.answer({ kind: "writeSingle", address: 0x2103, value: 0x8000 }); // low word only
  expect(seen).toEqual([100, 100.25]);
  // A key written in two halves, the first spanning an unmapped register and the MAC's tail.
  const keys: string[] = [];
  s.onConnectorWrite("hmacKey", (k) => keys.push(toHex(k.reveal())));
  const key = hex(MOCK_KEY);
  s.answer({ kind: "writeMultiple", address: 0x2113, values: Uint16Array.of(0x1111, 0x2222, ...bytesToWords(key.subarray(0, 24))) });
  expect(keys).toEqual([MOCK_KEY.slice(0, 48) + "00".repeat(24)]);
  expect(toHex(s.unit("psuMac"))).toBe("000000001111");
  s.answer({ kind: "writeMultiple", address: 0x2115 + 12, values: bytesToWords(key.subarray(24)) });
  expect(keys.at(-1)).toBe(MOCK_KEY);
});

test("one request spanning several values fires each hook once, after the whole write", () => {
  const s = new RegisterStore({ connectors: 1 });
  const log: string[] = [];
  for (const n of ["maxVoltage", "maxCurrent", "minVoltage", "minCurrent"] as const) {
    s.onConnectorWrite(n, () => log.push(`${n}: minCurrent=${s.connector(1, "minCurrent")}`));
  }
  const f = (x: number) => {
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, x);
    return [b.getUint16(0), b.getUint16(2)];
  };
  s.answer({ kind: "writeMultiple", address: 0x2100, values: Uint16Array.of(...f(1000), ...f(250), 0xdead, ...f(150), ...f(0.5)) });
  expect(log).toEqual(["maxVoltage: minCurrent=0.5", "maxCurrent: minCurrent=0.5", "minVoltage: minCurrent=0.5", "minCurrent: minCurrent=0.5"]);
  expect(s.answer({ kind: "readRequest", address: 0x2104, count: 1 })).toEqual({ kind: "readResponse", values: Uint16Array.of(0) });
});

test("partial reads, including one ending a register before a value's end (§14.14), and address wrap", () => {
  const s = new RegisterStore({ connectors: 1 });
  s.setConnector(1, "energyChargedKwh", 12345.678);
  s.setConnector(1, "maxRatedCurrent", 1000);
  expect(s.answer({ kind: "readRequest", address: 0x1100, count: 3 })).toEqual({ kind: "readResponse", values: Uint16Array.of(0x40c8, 0x1cd6, 0xc8b4) });
  expect(s.answer({ kind: "readRequest", address: 0x1103, count: 3 })).toEqual({ kind: "readResponse", values: Uint16Array.of(0x3958, 2, 0x447a) });
  expect(s.answer({ kind: "readRequest", address: 0xffff, count: 2 })).toEqual({ kind: "readResponse", values: Uint16Array.of(0, 0) });
});

test("writes to our own values are acknowledged and ignored; unmapped writes are dropped", () => {
  const s = capturedDispenser();
  const hooks: string[] = [];
  s.onUnitWrite("runningMode", () => hooks.push("mode"));
  for (const [address, value] of [[0x1015, 4], [0x110b, 3], [0x3001, 1], [0x1024, 7], [0x9999, 5], [0x0000, 9]] as const) {
    expect(s.answer({ kind: "writeSingle", address, value })).toEqual({ kind: "writeSingle", address, value });
  }
  expect(s.answer({ kind: "writeMultiple", address: 0x1016, values: new Uint16Array(11).fill(0x4141) })).toEqual({ kind: "writeMultipleResponse", address: 0x1016, count: 11 });
  expect(s.unit("connectorCount")).toBe(1);
  expect(s.connector(1, "workingStatus")).toBe(8);
  expect(s.unit("doorAlarm")).toBe(0);
  expect(s.unit("esn")).toBe("0123456789ABCDEF");
  expect(s.unit("manufacturer")).toBe(2);
  expect(s.unit("timeSync")).toBe(M19_SECONDS);
  expect(s.answer({ kind: "readRequest", address: 0x9999, count: 1 })).toEqual({ kind: "readResponse", values: Uint16Array.of(0) });
  expect(hooks).toEqual([]);
});

test("limits and unknown functions give the exceptions of §1.2; answers and exceptions from the PSU get no reply", () => {
  const s = new RegisterStore({ connectors: 1 });
  const cases: [string, string][] = [
    ["0001 0000 0006 00 03 0000 007E", "0001 0000 0003 00 83 03"], // 126 registers
    ["0002 0000 0006 00 03 0000 007D", ""], // 125 is fine
    ["0003 0000 0007 00 10 2100 007C 00", "0003 0000 0003 00 90 03"], // count 124
    ["0004 0000 000B 00 10 2100 0002 03 447A0000", "0004 0000 0003 00 90 03"], // byte count mismatch
    ["0005 0000 0005 00 06 2006 00", "0005 0000 0003 00 86 03"], // short write-single
    ["0006 0000 0006 00 01 0000 0001", "0006 0000 0003 00 81 01"],
    ["0007 0000 0006 00 41 91 0002 0000", "0007 0000 0003 00 C1 01"], // an unasked 0x41 is not served
  ];
  for (const [req, resp] of cases) {
    const reply = s.serve(request(req));
    if (resp === "") expect(reply?.pdu.kind).toBe("readResponse");
    else expect(reply && toHex(encodeAdu(reply))).toBe(toHex(hex(resp)));
  }
  expect(s.serve(request("0008 0000 0007 00 41 91 0001 0000"))).toBeUndefined();
  expect(s.serve(request("0009 0000 0003 00 C1 01"))).toBeUndefined();
});

test("any unit id is served and echoed", () => {
  const s = capturedDispenser();
  for (const unit of [0x00, 0x01, 0xff, 0x7f]) {
    const reply = s.serve({ transactionId: 0xbeef, unitId: unit, pdu: { kind: "readRequest", address: 0x1015, count: 1 } });
    expect(reply).toEqual({ transactionId: 0xbeef, unitId: unit, pdu: { kind: "readResponse", values: Uint16Array.of(1) } });
  }
});

test("connector offsets: connector 2's key lives at 0x2D15; unconfigured connectors are unmapped", () => {
  const s = new RegisterStore({ connectors: 2 });
  const got: number[] = [];
  s.onConnectorWrite("hmacKey", (_k, c) => got.push(c));
  s.answer({ kind: "writeMultiple", address: 0x2d15, values: new Uint16Array(24).fill(0x0101) });
  expect(got).toEqual([2]);
  expect(s.connector(1, "hmacKey").isZero()).toBe(true);
  expect(s.connector(2, "hmacKey").isZero()).toBe(false);
  s.setConnector(2, "workingStatus", 3);
  expect(s.answer({ kind: "readRequest", address: 0x1d0b, count: 1 })).toEqual({ kind: "readResponse", values: Uint16Array.of(3) });
  expect(s.answer({ kind: "readRequest", address: 0x1e0b, count: 1 })).toEqual({ kind: "readResponse", values: Uint16Array.of(0) });
  expect(() => s.connector(3, "workingStatus")).toThrow("connector 3 is not configured on this dispenser (2 connectors)");
  expect(() => new RegisterStore({ connectors: 5 })).toThrow("a dispenser has 1 to 4 connectors, got 5");
});

test("a failing hook never stops the answer, and its report names the value but not the key", () => {
  const problems: string[] = [];
  const s = new RegisterStore({ connectors: 1, onHookError: (label, err) => problems.push(`${label}: ${String(err)}`) });
  s.onConnectorWrite("hmacKey", (k) => {
    throw new Error(`cannot use ${k}`);
  });
  const reply = s.serve(request(M.M4.request));
  expect(reply && toHex(encodeAdu(reply))).toBe(toHex(hex(M.M4.response)));
  expect(problems).toEqual(["c1.hmacKey: Error: cannot use [secret 48 bytes]"]);
  const dump = [inspect(s, { depth: 10 }), String(s), JSON.stringify({ s }), JSON.stringify(s.connector(1, "hmacKey")), Bun.inspect(s)].join("\n");
  expect(dump).toContain("RegisterStore(1 connectors)");
  expect(dump.toLowerCase()).not.toContain(MOCK_KEY.slice(0, 12));
  expect(dump).not.toContain(String(0x67e4)); // the key's first word in decimal, as a typed array would print
});

test("forget puts a value back to 0 and unknown", () => {
  const s = new RegisterStore({ connectors: 1 });
  s.answer({ kind: "writeMultiple", address: 0x2102, values: Uint16Array.of(0x42c8, 0) });
  expect(s.connectorKnown(1, "maxCurrent")).toBe(true);
  s.forgetConnector(1, "maxCurrent");
  expect(s.connectorKnown(1, "maxCurrent")).toBe(false);
  expect(s.connector(1, "maxCurrent")).toBe(0);
});
