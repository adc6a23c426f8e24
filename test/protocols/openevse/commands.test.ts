// Builders (§8.1, §8.2, §8.5), reply parsers (§8.3) on the §12.2 vectors, and the version rules of §8.6.

import { describe, expect, test } from "bun:test";
import { CommandError } from "../../../lib/errors.ts";
import { commandText, decode } from "../../../protocols/openevse/codec.ts";
import * as C from "../../../protocols/openevse/commands.ts";
import * as R from "../../../protocols/openevse/replies.ts";
import { featuresOf, parseRapiVersion, type Features } from "../../../protocols/openevse/version.ts";
import { REPLIES } from "./vectors.ts";

function features(v: string): Features {
  const r = parseRapiVersion(v);
  if (!r.ok) throw new Error(r.error);
  return featuresOf(r.value);
}

const F5 = features("5.2.1");
const F4 = features("4.0.1");
const F501 = features("5.0.1");
const D9 = features("6.0.0");

/** The `$OK` fields of a §12.2 reply vector, through the real decoder. */
function fields(line: string): string[] {
  const [item] = decode(`${line}\r`);
  if (item?.kind !== "reply") throw new Error(`${line} is not a reply`);
  return item.fields;
}

describe("builders produce the §12.1 frames", () => {
  test.each([
    [C.get("GS"), "$GS^30"],
    [C.get("GV"), "$GV^35"],
    [C.get("G0"), "$G0^53"],
    [C.get("G4"), "$G4^57"],
    [C.enable(), "$FE^27"],
    [C.sleep(), "$FS^31"],
    [C.disable(), "$FD^26"],
    [C.reboot(), "$FR^30"],
    [C.setCurrent(24, "persistent"), "$SC 24^12"],
    [C.setCurrent(24, "volatile"), "$SC 24 V^64"],
    [C.setCurrent(16, "volatile"), "$SC 16 V^65"],
    [C.setCurrent(32, "hardware-max", F5), "$SC 32 M^78"],
    [C.serviceLevel(2), "$SL 2^29"],
    [C.delayTimer(null), "$ST 0 0 0 0^23"],
    [C.heartbeatPulse(F5), "$SY^2E"],
    [C.heartbeatArm(5, 6, F5), "$SY 5 6^2D"],
    [C.heartbeatAck(F5), "$SY 165^3C"],
    [C.setVoltage(230000, F5), "$SV 230000^00"],
    [C.print(0, 0, "Hello World"), "$FP 0 0 Hello World^32"],
    [C.setCurrent(13, "persistent"), "$SC 13^16"],
  ] as const)("%o → %s", (cmd, frame) => {
    expect(commandText(cmd)).toBe(frame);
  });

  test("the rest of §8.1/§8.2 with seed-table frames where the seed has them", () => {
    expect(commandText(C.lcdHostControl(true))).toBe("$F0 0^42");
    expect(commandText(C.lcdHostControl(false))).toBe("$F0 1^43");
    expect(commandText(C.pressButton())).toBe("$F1^53");
    expect(commandText(C.backlight(7))).toBe("$FB 7^37");
    expect(commandText(C.feature("D", false))).toBe("$FF D 0^50");
    expect(commandText(C.feature("V", true))).toBe("$FF V 1^43");
    expect(commandText(C.lcdType(false))).toBe("$S0 0^57");
    expect(commandText(C.timeLimit(4))).toBe("$S3 4^50");
    expect(commandText(C.authLock(true))).toBe("$S4 1^52");
    expect(commandText(C.ammeterCalibration(182, 0))).toBe("$SA 182 0^3D");
    expect(commandText(C.chargeLimit(10))).toBe("$SH 10^1E");
    expect(commandText(C.setEnergyCounter())).toBe("$SK 0^2C");
    expect(commandText(C.serviceLevel(1))).toBe("$SL 1^2A");
    expect(commandText(C.serviceLevel("A"))).toBe("$SL A^5A");
    expect(commandText(C.setRtc({ year: 2018, month: 10, day: 18, hour: 12, minute: 30, second: 0 }), { checksum: "none" })).toBe("$S1 18 10 18 12 30 0");
    expect(commandText(C.mennekesLock("M", F5))).toMatch(/^\$S5 M\^/);
    expect(commandText(C.delayTimer({ startHour: 22, startMinute: 0, endHour: 6, endMinute: 30 }))).toMatch(/^\$ST 22 0 6 30\^/);
  });

  test("bad arguments are refused with the field and range", () => {
    expect(() => C.setCurrent(0, "volatile")).toThrow("charge current (A) must be a whole number 1–80, got 0");
    expect(() => C.setCurrent(16.5, "volatile")).toThrow(CommandError);
    expect(() => C.backlight(8)).toThrow("backlight colour must be a whole number 0–7, got 8");
    expect(() => C.ammeterCalibration(220, -5)).toThrow("no negative values over RAPI");
    expect(() => C.print(0, 0, "This will not fit in a frame")).toThrow("does not fit one RAPI frame");
    expect(() => C.print(0, 2, "x")).toThrow("LCD row");
  });

  test("version-bound commands are refused for controllers that lack them (§8.6)", () => {
    expect(() => C.setCurrent(32, "hardware-max", F501)).toThrow("$SC … M needs RAPI 5.1.1; this controller speaks 5.0.1");
    expect(() => C.setVoltage(230000, F501)).toThrow("needs RAPI 5.1.3");
    expect(() => C.heartbeatPulse(F4)).toThrow("needs RAPI 5.0.0");
    expect(() => C.get("GZ", F5)).toThrow("needs RAPI 6.0.0 (D9)");
    expect(() => C.get("GI", F501)).toThrow("needs RAPI 5.1.4");
    expect(() => C.feature("P", true, F5)).toThrow("6.0.0 (D9)");
    expect(() => C.resetFaultCounters(F5)).toThrow("D9");
    expect(commandText(C.get("GZ", D9))).toBe("$GZ^39"); // 0x24 ⊕ 0x47 ⊕ 0x5A
    expect(commandText(C.setRelay(3, false, D9))).toMatch(/^\$SR 3 0\^/);
    expect(commandText(C.overTemperature(720, D9))).toMatch(/^\$FO 720\^/);
  });

  test("$FF E (echo) cannot be built: both values switch echo on (§14 item 2)", () => {
    // @ts-expect-error: "E" is deliberately not a FeatureLetter.
    expect(() => C.feature("E", false)).toThrow('unknown $FF feature letter "E"');
  });
});

describe("reply parsers on §12.2", () => {
  test("$GS in both encodings", () => {
    expect(R.parseGS(fields(REPLIES.gsReady), F5)).toEqual({ state: 1, elapsedS: 0, pilot: 1, vflags: 0x0200 });
    expect(R.parseGS(fields(REPLIES.gsCharging), F5)).toEqual({ state: 3, elapsedS: 3725, pilot: 3, vflags: 0x0140 });
    expect(R.parseGS(fields(REPLIES.gsSleeping), F5)).toEqual({ state: 254, elapsedS: 120, pilot: 2, vflags: 0x0100 });
    // RAPI < 5: `state elapsed`, state in decimal (seed screenshot `$OK 5 1`).
    expect(R.parseGS(["254", "120"], F4)).toEqual({ state: 254, elapsedS: 120, pilot: null, vflags: null });
    expect(() => R.parseGS(["fe", "120"], F4)).toThrow("$GS reply: field 1 (EVSE state, decimal before RAPI 5)");
    expect(() => R.parseGS(["fe", "120"], F5)).toThrow("$GS reply: needs 4 fields, got 2 (fe 120)");
  });

  test("$GE, $GC, $GG, $GP, $GV, $SY, $SC", () => {
    expect(R.parseGE(fields(REPLIES.ge))).toEqual({ currentA: 32, flags: 0x0201 });
    expect(R.parseGC(fields(REPLIES.gc), F5)).toEqual({ minA: 6, hwMaxA: 32, pilotA: 16, maxA: 32 });
    expect(R.parseGC(fields(REPLIES.gcEmulator), F5)).toEqual({ minA: 6, hwMaxA: 80, pilotA: 32, maxA: 32 });
    expect(R.parseGC(["6", "32"], F4)).toEqual({ minA: 6, hwMaxA: 32, pilotA: null, maxA: null });
    expect(R.parseGG(fields(REPLIES.gg))).toEqual({ currentMa: 15400, voltageMv: 230000 });
    expect(R.parseGG(["-1", "-1"])).toEqual({ currentMa: null, voltageMv: null });
    expect(R.parseGP(fields(REPLIES.gp))).toEqual({ ds3231: 250, mcp9808: null, tmp007: null });
    expect(R.parseGV(fields(REPLIES.gv))).toEqual({ firmware: "8.2.3", protocol: { major: 5, minor: 2, patch: 1, text: "5.2.1" } });
    expect(R.parseGV(fields(REPLIES.gvReal)).firmware).toBe("D7.1.2");
    expect(R.parseGV(fields(REPLIES.gvSeed))).toMatchObject({ firmware: "D4.10.4.EU", protocol: { text: "4.0.1" } });
    expect(R.parseHeartbeat(fields(REPLIES.sy), "SY")).toEqual({ intervalS: 5, currentA: 6, trigger: 0 });
    expect(R.parseSC(fields(REPLIES.sc24))).toBe(24);
    expect(R.parseSC(fields(REPLIES.scClamped))).toBe(32);
  });

  test("the others", () => {
    expect(R.parseGU(["36000", "1250"])).toEqual({ sessionWs: 36000, totalWh: 1250 });
    expect(R.parseGF(["a", "0", "ff"])).toEqual({ gfi: 10, noGround: 0, stuckRelay: 255 });
    expect(R.parseG0(["2"])).toBe("unknown");
    expect(R.parseG5(["1", "M"])).toEqual({ locked: true, mode: "M" });
    expect(R.parseCalibration(["220", "-12"], "GA")).toEqual({ scale: 220, offset: -12 });
    expect(R.parseGD(["0", "0", "0", "0"])).toBeNull();
    expect(R.parseGD(["22", "0", "6", "30"])).toEqual({ startHour: 22, startMinute: 0, endHour: 6, endMinute: 30 });
    expect(R.parseGT(["165", "165", "165", "165", "165", "85"])).toBeNull();
    expect(R.parseGT(["24", "3", "9", "7", "5", "0"])).toEqual({ year: 2024, month: 3, day: 9, hour: 7, minute: 5, second: 0 });
    expect(R.parseGI(["", "ABCDEF0011AABB"])).toBe("ABCDEF0011AABB");
    expect(R.parseGR(["1", "0", "1"])).toEqual({ dc1: true, dc2: false, ac: true });
    expect(R.parseGZ(["5000"])).toBe(5000);
    expect(R.parseGZ(["0"])).toBeNull();
    expect(R.parseSB(["1"])).toBe(false);
  });

  test("extra trailing fields are tolerated, missing or wrong ones named", () => {
    // The emulator's 4-field $GG (§14 item 6).
    expect(R.parseGG(["15400", "230000", "0", "0"])).toEqual({ currentMa: 15400, voltageMv: 230000 });
    expect(() => R.parseGE(["32", "zz"])).toThrow("$GE reply: field 2 (settings flags): expected 1–4 hex digits");
    expect(() => R.parseHeartbeat(["5", "6", "3"])).toThrow("field 3 (trigger): expected 0, 1 or 2, got 3");
    expect(() => R.parseGU([])).toThrow("$GU reply: needs 2 fields, got 0");
    expect(() => R.parseGV(["8.2.3", "five"])).toThrow('RAPI version must look like 5.2.1, got "five"');
  });
});

describe("§8.6 versions", () => {
  test("features by protocol version", () => {
    expect(features("1.0.3")).toMatchObject({ checksummedReplies: false, stateNotification: "none", sequenceIds: false });
    expect(features("2.0.1")).toMatchObject({ checksummedReplies: true, stateNotification: "ST", sequenceIds: false });
    expect(F4).toMatchObject({ stateNotification: "ST", featureSwitches: true, gsFourFields: false, heartbeat: false });
    expect(F501).toMatchObject({ stateNotification: "AT", gsFourFields: true, gcFourFields: true, heartbeat: true, hardwareMax: false });
    expect(features("5.1.3")).toMatchObject({ buttonEvents: true, setVoltage: true, vflagTimeLimit: true, mcuId: false });
    expect(F5).toMatchObject({ mennekes: true, bootLock: true, d9: false });
    expect(D9.d9).toBe(true);
    expect(features("10.0.0").d9).toBe(true);
  });
});
