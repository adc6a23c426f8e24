import { describe, expect, test } from "bun:test";
import { decodeAppPacket, decodeEvsePacket, encodeApp, encodeEvse, type AppMessage, type EvseMessage } from "../../../protocols/evsemaster/codec.ts";
import { dateToEm, emToDate } from "../../../protocols/evsemaster/emtime.ts";
import { decodeErrors } from "../../../protocols/evsemaster/enums.ts";
import { computedPowerW, decodeStatus } from "../../../protocols/evsemaster/evse-payloads.ts";
import { byteSum, decodeFrames, encodeFrame, passwordBytes } from "../../../protocols/evsemaster/frame.ts";
import { hex, toHex, V } from "./vectors.ts";

const TZ = "Europe/Amsterdam";
const CEST = "Europe/Berlin";
const SERIAL = "1122334455667788";
const REAL = "9181102751219513";
const PIN = passwordBytes("123456");

function evse(name: keyof typeof V): { serial: string; message: EvseMessage } {
  const r = decodeEvsePacket(hex(V[name]));
  expect(r.length).toBe(1);
  const d = r[0]!;
  if (!d.ok) throw new Error(`${name}: ${d.error}`);
  // Both ways: what we decode re-encodes to the exact captured bytes.
  expect(toHex(encodeEvse(d.frame.serial, d.message))).toBe(V[name]);
  return { serial: d.frame.serial, message: d.message };
}

function app(name: keyof typeof V): AppMessage {
  const r = decodeAppPacket(hex(V[name]));
  expect(r.length).toBe(1);
  const d = r[0]!;
  if (!d.ok) throw new Error(`${name}: ${d.error}`);
  expect(toHex(encodeApp(d.frame.serial, d.frame.password, d.message))).toBe(V[name]);
  expect(new TextDecoder().decode(d.frame.password)).toBe("123456");
  return d.message;
}

function check(name: keyof typeof V, m: AppMessage, serial = SERIAL): void {
  expect(toHex(encodeApp(serial, PIN, m))).toBe(V[name]);
}

describe("checksum (§2.4)", () => {
  test("every vector verifies under both moduli", () => {
    for (const [name, h] of Object.entries(V)) {
      if (name === "C10") continue;
      const b = hex(h);
      const cs = (b[b.length - 4]! << 8) | b[b.length - 3]!;
      const sum = byteSum(b, b.length - 4);
      expect(sum % 65535).toBe(cs);
      expect(sum % 65536).toBe(cs);
    }
  });

  test("long datagrams: both the 65535 and the 65536 rule are accepted, others refused", () => {
    const frame = encodeFrame({ serial: SERIAL, password: new Uint8Array(6).fill(0xff), command: 0x0009, payload: new Uint8Array(300).fill(0xff) });
    const sum = byteSum(frame, frame.length - 4);
    expect(sum).toBeGreaterThan(65536);
    for (const [cs, ok] of [[sum % 65535, true], [sum % 65536, true], [(sum + 7) % 65536, false]] as const) {
      const b = frame.slice();
      b[b.length - 4] = cs >> 8;
      b[b.length - 3] = cs & 0xff;
      expect(decodeFrames(b)[0]!.ok).toBe(ok);
    }
  });
});

describe("framing (§2.5)", () => {
  test("several datagrams per packet", () => {
    const packet = new Uint8Array([...hex(V.B4), ...hex(V.B5), ...hex(V.B11)]);
    const r = decodeEvsePacket(packet);
    expect(r.map((x) => (x.ok ? x.message.type : x.error))).toEqual(["heading", "status", "setting"]);
  });

  test("non-EM packets are ignored silently; bad ones are reported as values", () => {
    expect(decodeEvsePacket(new TextEncoder().encode("hello world, not EM traffic at all"))).toEqual([]);
    const bad = hex(V.B4);
    bad[bad.length - 1] = 0x03;
    const r = decodeEvsePacket(bad);
    expect(r).toHaveLength(1);
    expect(r[0]!.ok).toBe(false);
    const trailing = decodeEvsePacket(new Uint8Array([...hex(V.B4), 1, 2, 3]));
    expect(trailing.map((x) => x.ok)).toEqual([true, false]);
  });

  test("short payloads are errors with the serial; long ones are accepted", () => {
    const short = encodeFrame({ serial: SERIAL, password: new Uint8Array(6).fill(0xff), command: 0x0004, payload: new Uint8Array(10) });
    const r = decodeEvsePacket(short)[0]!;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.serial).toBe(SERIAL);
      expect(r.error).toContain("too short");
    }
    const long = encodeFrame({ serial: SERIAL, password: new Uint8Array(6).fill(0xff), command: 0x0007, payload: Uint8Array.of(1, 0, 1, 0, 16, 9, 9, 9) });
    const l = decodeEvsePacket(long)[0]!;
    expect(l.ok && l.message.type === "chargeStartResponse" && l.message.result.maxCurrentA).toBe(16);
  });
});

describe("EM time (§2.6)", () => {
  test("local 2025-01-15 18:30 Amsterdam is 0x67878e28 and back", () => {
    const d = new Date("2025-01-15T17:30:00Z");
    expect(dateToEm(d, TZ)).toBe(0x67878e28);
    expect(emToDate(0x67878e28, TZ)?.toISOString()).toBe(d.toISOString());
  });
  test("C4/C5 real captures decode to the chargeId epoch in CEST", () => {
    expect(emToDate(0x62505578, CEST)!.getTime() / 1000).toBe(1649453528);
    expect(emToDate(0x62505cdd, CEST)!.getTime() / 1000).toBe(1649455421);
    expect(dateToEm(new Date(1649455421000), CEST)).toBe(0x62505cdd);
  });
  test("0 and 0xffffffff mean no time", () => {
    expect(emToDate(0, TZ)).toBeNull();
    expect(emToDate(0xffffffff, TZ)).toBeNull();
  });
});

describe("A: app → EVSE", () => {
  test("A1-A4 login, confirm, heading response, status ack", () => {
    expect(app("A1").type).toBe("requestLogin");
    expect(app("A2").type).toBe("loginConfirm");
    expect(app("A3").type).toBe("headingResponse");
    expect(app("A4").type).toBe("statusAck");
    check("A1", { type: "requestLogin" });
    check("A2", { type: "loginConfirm" });
    check("A3", { type: "headingResponse" });
    check("A4", { type: "statusAck" });
  });

  test("A5 immediate charge start", () => {
    const m = app("A5");
    const start = { lineId: 1, userId: "bridge", chargeId: "2025011518301234", isReservation: false, startTime: dateToEm(new Date("2025-01-15T17:30:00Z"), TZ), startType: 1, chargeType: 1, maxDurationMin: null, maxEnergyKwh: null, param3: 0xffff, maxCurrentA: 16 };
    expect(m).toEqual({ type: "chargeStart", start });
    check("A5", { type: "chargeStart", start });
  });

  test("A6 reservation, three-phase, 120 min, 7.5 kWh", () => {
    const start = { lineId: 2, userId: "bridge", chargeId: "2025011518000001", isReservation: true, startTime: dateToEm(new Date("2025-01-15T22:00:00Z"), TZ), startType: 1, chargeType: 1, maxDurationMin: 120, maxEnergyKwh: 7.5, param3: 0xffff, maxCurrentA: 10 };
    expect(start.startTime).toBe(0x6787cd70);
    expect(app("A6")).toEqual({ type: "chargeStart", start });
    check("A6", { type: "chargeStart", start });
  });

  test("A7 charge stop", () => {
    expect(app("A7")).toEqual({ type: "chargeStop", stop: { lineId: 1, userId: "bridge" } });
    check("A7", { type: "chargeStop", stop: { lineId: 1, userId: "bridge" } });
  });

  test("A8-A15 settings, time, version, status poll", () => {
    expect(app("A8")).toEqual({ type: "setting", setting: "maxCurrent", action: 1, value: 10 });
    expect(app("A9")).toEqual({ type: "setting", setting: "maxCurrent", action: 2, value: 0 });
    expect(app("A10")).toEqual({ type: "name", action: 1, name: "Garage" });
    expect(app("A11")).toEqual({ type: "setting", setting: "language", action: 1, value: 3 });
    expect(app("A12")).toEqual({ type: "setting", setting: "offlineCharge", action: 1, value: 1 });
    expect(app("A13")).toEqual({ type: "systemTime", action: 1, time: 0x67878e28 });
    expect(app("A14").type).toBe("getVersion");
    expect(app("A15").type).toBe("statusPoll");
    check("A8", { type: "setting", setting: "maxCurrent", action: 1, value: 10 });
    check("A9", { type: "setting", setting: "maxCurrent", action: 2, value: 0 });
    check("A10", { type: "name", action: 1, name: "Garage" });
    check("A11", { type: "setting", setting: "language", action: 1, value: 3 });
    check("A12", { type: "setting", setting: "offlineCharge", action: 1, value: 1 });
    check("A13", { type: "systemTime", action: 1, time: dateToEm(new Date("2025-01-15T17:30:00Z"), TZ) });
    check("A14", { type: "getVersion" });
    check("A15", { type: "statusPoll" });
  });
});

const bs20Info = { deviceType: 1, brand: "BESEN", model: "BS20", hardwareVersion: "C.3252.112A008", maxPowerW: 7040, maxCurrentA: 32, hotline: "WWW.EVSE.COM", extra: null };

describe("B: EVSE → app", () => {
  test("B1/B2 beacon and login response", () => {
    expect(evse("B1")).toEqual({ serial: SERIAL, message: { type: "beacon", info: bs20Info } });
    expect(evse("B2").message).toEqual({ type: "loginResponse", info: bs20Info });
  });

  test("B3 password error, B4 heading", () => {
    expect(evse("B3").message.type).toBe("passwordError");
    expect(evse("B4").message.type).toBe("heading");
  });

  test("B5 single-phase charging status", () => {
    const m = evse("B5").message;
    if (m.type !== "status") throw new Error(m.type);
    const s = m.status;
    expect(s.voltageV).toEqual([231.5, null, null]);
    expect(s.currentA).toEqual([15.98, null, null]);
    expect([s.powerW, s.energyKwh, s.innerTempC, s.outerTempC]).toEqual([3699, 1234.56, 31.25, 31.25]);
    expect([s.emergency, s.gunState, s.outputState, s.currentState, s.errors]).toEqual([0, 4, 1, 14, 0]);
    expect(computedPowerW(s)).toBe(3699);
  });

  test("B6 three-phase status with errors", () => {
    const m = evse("B6").message;
    if (m.type !== "status") throw new Error(m.type);
    const s = m.status;
    expect(s.voltageV).toEqual([230.1, 229.8, 231.0]);
    expect(s.currentA).toEqual([0, 0, 0]);
    expect([s.energyKwh, s.innerTempC, s.gunState, s.outputState, s.currentState]).toEqual([10.5, -5.5, 1, 2, 1]);
    expect(s.errors).toBe(0x1020);
    expect(decodeErrors(s.errors)).toEqual({ codes: [5, 12], names: ["cp_error", "over_current"] });
  });

  test("B7 session status", () => {
    const m = evse("B7").message;
    if (m.type !== "session") throw new Error(m.type);
    const s = m.session;
    expect(m.pushed).toBe(true);
    expect([s.port, s.currentState, s.chargeId, s.startType, s.chargeType, s.maxDurationMin, s.maxEnergyKwh]).toEqual([1, 14, "2025011518301234", 1, 1, null, null]);
    expect(emToDate(s.reservationTime, TZ)?.toISOString()).toBe("2025-01-15T17:30:00.000Z");
    expect(emToDate(s.startTime, TZ)?.toISOString()).toBe("2025-01-15T17:30:00.000Z");
    expect([s.userId, s.maxCurrentA, s.durationS, s.energyStartKwh, s.energyNowKwh, s.chargedKwh]).toEqual(["bridge", 16, 3600, 1230.86, 1234.56, 3.7]);
  });

  test("B8-B10 start and stop responses", () => {
    expect(evse("B8").message).toEqual({ type: "chargeStartResponse", result: { lineId: 1, reservationResult: 0, startResult: 1, errorReason: 0, maxCurrentA: 16 } });
    expect(evse("B9").message).toEqual({ type: "chargeStartResponse", result: { lineId: 1, reservationResult: 0, startResult: 0, errorReason: 1, maxCurrentA: 16 } });
    expect(evse("B10").message).toEqual({ type: "chargeStopResponse", result: { lineId: 1, stopResult: 1, failReason: 0 } });
  });

  test("B11-B13 max current, name, version", () => {
    expect(evse("B11").message).toEqual({ type: "setting", setting: "maxCurrent", action: 2, value: 16 });
    expect(evse("B12").message).toEqual({ type: "name", action: 2, name: "Garage" });
    expect(evse("B13").message).toEqual({ type: "version", version: { hardwareVersion: "C.3252.112A008", softwareVersion: "C.3252.112A008", feature: 0x42296d48, supportNew: 1 } });
  });
});

describe("C: real BS20 captures", () => {
  test("C1 status: plugged in, emergency byte 1", () => {
    const m = evse("C1");
    expect(m.serial).toBe(REAL);
    if (m.message.type !== "status") throw new Error(m.message.type);
    const s = m.message.status;
    expect([s.voltageV[0], s.currentA[0], s.powerW, s.energyKwh, s.innerTempC]).toEqual([235, 0, 0, 1475.85, 26.74]);
    expect([s.emergency, s.gunState, s.outputState, s.currentState, s.errors]).toEqual([1, 2, 2, 13, 0]);
  });

  test("C2 heading, C3 beacon", () => {
    expect(evse("C2")).toEqual({ serial: REAL, message: { type: "heading" } });
    expect(evse("C3")).toEqual({ serial: REAL, message: { type: "beacon", info: bs20Info } });
  });

  test("C4 session", () => {
    const m = evse("C4").message;
    if (m.type !== "session") throw new Error(m.type);
    const s = m.session;
    expect([s.currentState, s.chargeId, s.userId, s.maxCurrentA, s.durationS]).toEqual([13, "1649453528618249", "8600797985789243", 13, 73]);
    expect([s.energyStartKwh, s.energyNowKwh, s.chargedKwh, s.price, s.feeType, s.fee]).toEqual([1475.79, 1475.84, 0.05, 0.05, 1, 1]);
    expect(emToDate(s.startTime, CEST)!.getTime() / 1000).toBe(1649453528);
  });

  test("C5 OEM-app charge start, C6 response, C7 stop", () => {
    const start = { lineId: 1, userId: "8600797985789243", chargeId: "1649455421288096", isReservation: false, startTime: 0x62505cdd, startType: 1, chargeType: 1, maxDurationMin: null, maxEnergyKwh: null, param3: 0xffff, maxCurrentA: 16 };
    expect(app("C5")).toEqual({ type: "chargeStart", start });
    check("C5", { type: "chargeStart", start }, REAL);
    expect(evse("C6").message).toEqual({ type: "chargeStartResponse", result: { lineId: 1, reservationResult: 0, startResult: 1, errorReason: 0, maxCurrentA: 16 } });
    expect(app("C7")).toEqual({ type: "chargeStop", stop: { lineId: 1, userId: "8600797985789243" } });
    check("C7", { type: "chargeStop", stop: { lineId: 1, userId: "8600797985789243" } }, REAL);
  });

  test("C8 temperature unit, C9 36-byte version", () => {
    expect(evse("C8").message).toEqual({ type: "setting", setting: "temperatureUnit", action: 2, value: 1 });
    expect(evse("C9").message).toEqual({ type: "version", version: { hardwareVersion: "C.3252.112A008", softwareVersion: "C.3252.112A008", feature: 0x42296d48, supportNew: null } });
  });

  test("C10 Morec 40-byte status record payload", () => {
    const s = decodeStatus(hex(V.C10));
    expect([s.voltageV[0], s.currentA[0], s.powerW, s.energyKwh, s.innerTempC, s.outerTempC]).toEqual([235.4, 0, 0, 0.01, 28, 33.08]);
    expect([s.emergency, s.gunState, s.outputState, s.currentState, s.errors, s.extendedState]).toEqual([1, 1, 2, 12, 0, 0xff]);
    expect(s.voltageV.slice(1)).toEqual([0, 0]);
    const framed = encodeEvse(SERIAL, { type: "status", polled: true, status: s });
    const back = decodeEvsePacket(framed)[0]!;
    expect(back.ok && back.message.type === "status" && toHex(framed.subarray(21, 61))).toBe(V.C10);
  });
});
