// The simulated controller, driven through the real codec and builders, one command family at a
// time. Where §12.2 has a vector for a situation, the simulator must produce it byte for byte.

import { describe, expect, test } from "bun:test";
import * as C from "../../../protocols/openevse/commands.ts";
import { latin1Bytes, latin1Text } from "../../../protocols/openevse/frame.ts";
import * as R from "../../../protocols/openevse/replies.ts";
import { NOTIFICATIONS, REPLIES } from "./vectors.ts";
import { featuresOf, parseRapiVersion, type Features } from "../../../protocols/openevse/version.ts";
import { Rig } from "./sim-rig.ts";

/** Appends an XOR checksum computed here, independently of the code under test (§3). */
function x(text: string): string {
  const sum = [...text].reduce((acc, ch) => acc ^ ch.charCodeAt(0), 0);
  return `${text}^${sum.toString(16).toUpperCase().padStart(2, "0")}`;
}

function featuresOf521(): Features {
  const v = parseRapiVersion("5.2.1");
  if (!v.ok) throw new Error(v.error);
  return featuresOf(v.value);
}

describe("get commands (§8.3)", () => {
  test("after boot: §12.2's $GV, $GS, $GP; $GE, $GC, $GG, $GU, $GF, $G0, $GI, $GY", () => {
    const r = new Rig({ hwMaxA: 32 });
    expect(r.reply(C.get("GV")).text).toBe(REPLIES.gv);
    expect(r.reply(C.get("GS")).text).toBe(REPLIES.gsReady);
    expect(r.reply({ code: "GS", seq: 7 }).text).toBe(REPLIES.gsReadySeq);
    expect(r.reply(C.get("GP")).text).toBe(REPLIES.gp);
    expect(r.reply(C.get("GE")).fields).toEqual(["32", "0001"]);
    expect(r.reply(C.get("GC")).fields).toEqual(["6", "32", "32", "32"]);
    expect(r.reply(C.get("GG")).fields).toEqual(["0", "240000"]);
    expect(r.reply(C.get("GU")).fields).toEqual(["0", "0"]);
    expect(r.reply(C.get("GF")).fields).toEqual(["0", "0", "0"]);
    expect(r.reply(C.get("G0")).fields).toEqual(["0"]);
    expect(R.parseGI(r.reply(C.get("GI")).fields)).toBe("OEVSIM0011AABB");
    expect(r.reply(C.get("GI")).text.startsWith("$OK  OEVSIM")).toBe(true);
    expect(r.reply(C.get("GY")).fields).toEqual(["0", "0", "0"]);
  });

  test("builds without the option answer $NK: G3, G4, GH, GM, GO and the D9 ones", () => {
    const r = new Rig();
    for (const code of ["G3", "G4", "GH", "GM", "GO", "GR", "GZ"] as const) expect(r.reply(C.get(code)).text).toBe(REPLIES.nk);
  });

  test("RTC, delay timer, calibration and Mennekes lock read back what was set", () => {
    const r = new Rig();
    expect(r.reply(C.setRtc({ year: 2024, month: 3, day: 9, hour: 7, minute: 5, second: 0 })).ok).toBe(true);
    r.now += 61_000;
    expect(R.parseGT(r.reply(C.get("GT")).fields)).toEqual({ year: 2024, month: 3, day: 9, hour: 7, minute: 6, second: 1 });
    r.reply(C.delayTimer({ startHour: 22, startMinute: 0, endHour: 6, endMinute: 30 }));
    expect(R.parseGD(r.reply(C.get("GD")).fields)).toEqual({ startHour: 22, startMinute: 0, endHour: 6, endMinute: 30 });
    expect(R.parseGS(r.reply(C.get("GS")).fields, featuresOf521()).vflags).toBe(0x1200);
    r.reply(C.ammeterCalibration(182, 3));
    expect(r.reply(C.get("GA")).fields).toEqual(["182", "3"]);
    r.reply(C.mennekesLock("M"));
    r.reply(C.mennekesLock("lock"));
    expect(R.parseG5(r.reply(C.get("G5")).fields)).toEqual({ locked: true, mode: "M" });
  });
});

describe("a charging session and its notifications (§6)", () => {
  test("plug, charge, sleep, wake, unplug: §12.2's $AT and $GS vectors", () => {
    const r = new Rig({ hwMaxA: 32 });
    expect(r.sim.plugIn()).toEqual([x("$AT 02 02 32 0100")]);
    expect(r.sim.carRequestsCharge(true)).toEqual([NOTIFICATIONS.atCharging]);
    r.now += 3725_000;
    expect(r.reply(C.get("GS")).text).toBe(REPLIES.gsCharging);
    // Volatile 16 A: the reply, then the capacity change as $AT.
    expect(r.texts(r.send(C.setCurrent(16, "volatile")))).toEqual([x("$OK 16"), x("$AT 03 03 16 0140")]);
    expect(r.texts(r.send(C.sleep()))).toEqual([REPLIES.ok, NOTIFICATIONS.atSleeping]);
    expect(r.reply(C.get("GS")).fields).toEqual(["fe", "3725", "02", "0100"]);
    expect(r.texts(r.send(C.enable()))).toEqual([REPLIES.ok, x("$AT 03 03 16 0140")]);
    expect(r.sim.carRequestsCharge(false)).toEqual([x("$AT 02 02 16 0100")]);
    expect(r.sim.unplug()).toEqual([x("$AT 01 01 16 0200")]);
    // Nothing changed: no message.
    expect(r.sim.tick()).toEqual([]);
  });

  test("§12.2's sleeping $GS: 120 s of charge, then $FS", () => {
    const r = new Rig();
    r.sim.plugIn();
    r.sim.carRequestsCharge(true);
    r.now += 120_000;
    r.send(C.sleep());
    expect(r.reply(C.get("GS")).text).toBe(REPLIES.gsSleeping);
  });

  test("$FD opens at once and hides the car; $G0 says unknown; $FE brings it back", () => {
    const r = new Rig();
    r.sim.plugIn();
    expect(r.texts(r.send(C.disable()))).toEqual([REPLIES.ok, x("$AT ff 01 32 0000")]);
    expect(r.reply(C.get("G0")).fields).toEqual(["2"]);
    expect(r.texts(r.send(C.enable()))).toEqual([REPLIES.ok, x("$AT 02 02 32 0100")]);
  });

  test("$F1 toggles sleep and sends its $AT before the reply (§5)", () => {
    const r = new Rig();
    expect(r.texts(r.send(C.pressButton()))).toEqual([x("$AT fe 01 32 0200"), REPLIES.ok]);
    expect(r.texts(r.send(C.pressButton()))).toEqual([x("$AT 01 01 32 0200"), REPLIES.ok]);
  });

  test("with the button given to the host ($FF B 0), a press is only reported: §12.2's $AN", () => {
    const r = new Rig();
    expect(r.reply(C.feature("B", false)).ok).toBe(true);
    expect(R.parseGE(r.reply(C.get("GE")).fields).flags).toBe(0x8001);
    expect(r.sim.pressButton()).toEqual([NOTIFICATIONS.an]);
    expect(r.sim.pressButton(true)).toEqual([x("$AN 1")]);
    expect(r.sim.state).toBe(1);
  });

  test("energy: 1 h at 32 A and 240 V, session reset on the next plug-in, lifetime kept until $SK 0", () => {
    const r = new Rig();
    r.sim.plugIn();
    r.sim.carRequestsCharge(true);
    r.now += 3600_000;
    expect(R.parseGG(r.reply(C.get("GG")).fields)).toEqual({ currentMa: 32000, voltageMv: 240000 });
    // 32 A × 240 V × 3600 s = 27 648 000 Ws = 7680 Wh.
    expect(R.parseGU(r.reply(C.get("GU")).fields)).toEqual({ sessionWs: 27_648_000, totalWh: 7680 });
    r.sim.unplug();
    r.now += 3600_000;
    r.sim.plugIn();
    expect(R.parseGU(r.reply(C.get("GU")).fields)).toEqual({ sessionWs: 0, totalWh: 7680 });
    // $SV changes the integration voltage (volatile): §12.2's $GG with a car drawing 15.4 A.
    r.reply(C.setVoltage(230000));
    r.sim.carRequestsCharge(true, 15.4);
    expect(r.reply(C.get("GG")).text).toBe(REPLIES.gg);
    r.reply(C.setEnergyCounter(0));
    expect(R.parseGU(r.reply(C.get("GU")).fields).totalWh).toBe(0);
  });

  test("faults: $AT with the fault state, counters in $GF, $FE has no effect until cleared", () => {
    const r = new Rig();
    r.sim.plugIn();
    expect(r.sim.setFault(6)).toEqual([x("$AT 06 02 32 0180")]);
    r.send(C.enable());
    expect(r.sim.state).toBe(6);
    expect(R.parseGF(r.reply(C.get("GF")).fields)).toEqual({ gfi: 1, noGround: 0, stuckRelay: 0 });
    expect(r.sim.setFault(null)).toEqual([x("$AT 02 02 32 0180")]);
  });
});

describe("set commands (§8.2)", () => {
  test("§12.2's $SC replies: accepted, clamped with $NK, with a sequence id", () => {
    const r = new Rig({ hwMaxA: 32 });
    expect(r.reply(C.setCurrent(24, "persistent")).text).toBe(REPLIES.sc24);
    expect(r.reply({ code: "SC", params: ["40"] }).text).toBe(REPLIES.scClamped);
    expect(r.reply({ code: "SC", params: ["24"], seq: 0x2a }).text).toBe(REPLIES.sc24Seq);
    const fresh = new Rig({ hwMaxA: 32 });
    expect(fresh.reply(C.setCurrent(16, "volatile")).fields).toEqual(["16"]);
    expect(fresh.reply(C.get("GC")).text).toBe(REPLIES.gc);
    expect(r.reply({ code: "SC", params: ["2", "V"] }).text).toBe(x("$NK 6"));
  });

  test("volatile is lost at reboot, persistent kept; any second parameter but M is volatile (§13 item 11)", () => {
    const r = new Rig();
    r.reply(C.setCurrent(20, "persistent"));
    r.reply({ code: "SC", params: ["10", "X"] });
    expect(R.parseGC(r.reply(C.get("GC")).fields, featuresOf521())).toMatchObject({ pilotA: 10, maxA: 20 });
    r.send(C.reboot());
    r.advance(1500);
    r.advance(1000);
    expect(R.parseGC(r.reply(C.get("GC")).fields, featuresOf521())).toMatchObject({ pilotA: 20, maxA: 20 });
  });

  test("$SC … M is write-once and lowers what is above it", () => {
    const r = new Rig();
    expect(r.reply(C.setCurrent(24, "hardware-max")).text).toBe(REPLIES.sc24);
    expect(R.parseGC(r.reply(C.get("GC")).fields, featuresOf521())).toEqual({ minA: 6, hwMaxA: 24, pilotA: 24, maxA: 24 });
    expect(r.reply(C.setCurrent(32, "hardware-max")).text).toBe(REPLIES.nk);
  });

  test("service level: L1 caps at 16 A; A refused on EU builds", () => {
    const r = new Rig();
    r.reply(C.serviceLevel(1));
    expect(R.parseGC(r.reply(C.get("GC")).fields, featuresOf521())).toMatchObject({ hwMaxA: 16, pilotA: 16 });
    expect(r.reply(C.serviceLevel("A")).ok).toBe(true);
    expect(new Rig({ eu: true }).reply(C.serviceLevel("A")).ok).toBe(false);
  });

  test("options this build lacks, and removed commands, answer $NK (§13 items 10, 12)", () => {
    const r = new Rig();
    for (const cmd of [C.timeLimit(4), C.chargeLimit(10), C.authLock(true), C.bootUnlock(), C.voltmeterCalibration(1, 0), { code: "S2", params: ["1"] }, { code: "SD", params: ["1"] }, { code: "T0", params: ["75"] }]) {
      expect(r.reply(cmd).text).toBe(REPLIES.nk);
    }
    expect(r.reply(C.feature("O", true)).text).toBe(REPLIES.nk);
  });
});

describe("heartbeat supervision (§8.5)", () => {
  test("arm, pulse, miss, $NK pulse, acknowledge back to the configured maximum, survive reboot, disarm", () => {
    const r = new Rig();
    r.reply(C.setCurrent(16, "volatile"));
    expect(r.reply(C.heartbeatArm(5, 6)).text).toBe(REPLIES.sy);
    for (let i = 0; i < 10; i++) {
      expect(r.advance(1000)).toEqual([]);
      expect(r.reply(C.heartbeatPulse()).text).toBe(REPLIES.sy);
    }
    expect(r.advance(5000)).toEqual([]);
    // The host went quiet for more than 5 s: the pilot falls back to 6 A.
    expect(r.advance(1)).toEqual([x("$AT 01 01 6 0200")]);
    expect(R.parseHeartbeat(r.reply(C.get("GY")).fields)).toEqual({ intervalS: 5, currentA: 6, trigger: 2 });
    expect(r.reply(C.heartbeatPulse())).toMatchObject({ ok: false, fields: ["5", "6", "2"] });
    // The acknowledgement restores the configured 32 A, not the volatile 16 A of before.
    expect(r.texts(r.send(C.heartbeatAck()))).toEqual([x("$OK 5 6 1"), x("$AT 01 01 32 0200")]);
    r.send(C.reboot());
    r.advance(5000);
    expect(R.parseHeartbeat(r.reply(C.get("GY")).fields)).toEqual({ intervalS: 5, currentA: 6, trigger: 0 });
    r.reply(C.heartbeatArm(0, 0));
    expect(r.advance(60_000)).toEqual([]);
  });
});

describe("reboot (§5, §6)", () => {
  test("$FR: no reply, silence, $AT 00 before the self test, then §12.2's $AB and the real state", () => {
    const r = new Rig();
    r.sim.plugIn();
    expect(r.send(C.reboot())).toEqual([]);
    expect(r.send(C.get("GS"))).toEqual([]);
    expect(r.advance(1499)).toEqual([]);
    expect(r.advance(1)).toEqual([x("$AT 00 02 32 0200")]);
    expect(r.send(C.get("GV"))).toEqual([]);
    expect(r.advance(800)).toEqual([NOTIFICATIONS.ab, x("$AT 02 02 32 0300")]);
    expect(r.reply(C.get("GV")).text).toBe(REPLIES.gv);
  });

  test("3 s longer when it was charging", () => {
    const r = new Rig();
    r.sim.plugIn();
    r.sim.carRequestsCharge(true);
    r.send(C.reboot());
    expect(r.advance(4499)).toEqual([]);
    expect(r.advance(1)).toHaveLength(1);
  });
});

describe("the controller's parser (§2, §3)", () => {
  test("additive and no checksum are accepted; the reply always carries ^XK (§13 item 3)", () => {
    const r = new Rig();
    expect(r.reply(C.get("GV"), { checksum: "sum" }).text).toBe(REPLIES.gv);
    expect(r.reply(C.get("GV"), { checksum: "none" }).text).toBe(REPLIES.gv);
  });

  test("a wrong checksum is answered $NK^21 without the sequence id and not executed", () => {
    const r = new Rig();
    expect(x("$FS :05")).not.toBe("$FS :05^00");
    expect(r.texts(r.raw("$FS :05^00"))).toEqual([REPLIES.nk]);
    expect(r.sim.state).toBe(1);
  });

  test("quirks: invalid hex digits read as 0, one-digit checksums, frames over 31 characters dropped, >10 tokens refused", () => {
    const r = new Rig();
    expect(r.texts(r.raw("$SV 230000^ZZ"))).toEqual([REPLIES.ok]);
    expect(r.texts(r.raw("$SV 230000^0"))).toEqual([REPLIES.ok]);
    expect(r.raw("$FP 0 0 This text is far too long for it")).toEqual([]);
    expect(r.texts(r.raw("$FP 0 0 a b c d e f g h"))).toEqual([REPLIES.nk]);
    expect(r.texts(r.raw("$FP 0 0 a b c d e f g"))).toEqual([REPLIES.ok]);
    expect(r.texts(r.raw("$QQ"))).toEqual([REPLIES.nk]);
    // A `$` restarts the frame; bytes outside frames are ignored.
    expect(r.texts(r.raw("junk$GARBAGE$GV"))).toEqual([REPLIES.gv]);
  });

  test("$FF E switches echo on whatever the value (§14 item 2): bytes echoed, LF after each reply", () => {
    const r = new Rig();
    r.reply(C.feature("B", true));
    expect(r.sim.feed(latin1Bytes("$FF E 0\r")).length).toBeGreaterThan(0);
    expect(latin1Text(r.sim.feed(latin1Bytes("$GV^35\r")))).toBe(`$GV^35\r${REPLIES.gv}\r\n`);
  });
});

describe("fault injection", () => {
  test("$NK, silence, garbage and a bad checksum, each as the host decoder sees it", () => {
    const r = new Rig();
    r.sim.inject({ kind: "nk", code: "GS" });
    r.sim.inject({ kind: "silence", code: "GV", times: 2 });
    r.sim.inject({ kind: "garbage", code: "GE" });
    r.sim.inject({ kind: "bad-checksum", code: "GP" });
    expect(r.texts(r.send(C.get("GV")))).toEqual([]);
    expect(r.texts(r.send({ code: "GS", seq: 3 }))).toEqual([x("$NK :03")]);
    expect(r.texts(r.send(C.get("GS")))).toEqual([REPLIES.gsReady]);
    expect(r.texts(r.send(C.get("GV")))).toEqual([]);
    expect(r.texts(r.send(C.get("GV")))).toEqual([REPLIES.gv]);
    expect(r.send(C.get("GE"))).toMatchObject([{ kind: "bad", reason: "garbage" }]);
    expect(r.send(C.get("GP"))).toMatchObject([{ kind: "bad", reason: "checksum", text: "$OK 250 -2560 -2560^00" }]);
    expect(r.texts(r.send(C.get("GP")))).toEqual([REPLIES.gp]);
  });
});
