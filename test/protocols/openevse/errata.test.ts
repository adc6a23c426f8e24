// Spec §13: where the vendor guide (the seed) is wrong, we follow the controller and gateway.
// One test per erratum, named by its number.

import { expect, test } from "bun:test";
import * as C from "../../../protocols/openevse/commands.ts";
import { commandText, decode } from "../../../protocols/openevse/codec.ts";
import * as G from "../../../protocols/openevse/gateway-commands.ts";
import { publishedTopics, rapiOut, statusTopics, type GatewayStatus } from "../../../protocols/openevse/gateway-topics.ts";
import * as R from "../../../protocols/openevse/replies.ts";
import { isErrorState, stateText } from "../../../protocols/openevse/states.ts";
import { featuresOf, parseRapiVersion, type Features } from "../../../protocols/openevse/version.ts";
import { Rig } from "./sim-rig.ts";

function features(v: string): Features {
  const r = parseRapiVersion(v);
  if (!r.ok) throw new Error(r.error);
  return featuresOf(r.value);
}

test("1: the seed's `$OK 1^30` fails its checksum, `$OK 1^31` is right; `$G4` is `$G4^57`", () => {
  expect(decode("$OK 1^30\r")).toMatchObject([{ kind: "bad", reason: "checksum" }]);
  expect(decode("$OK 1^31\r")).toMatchObject([{ kind: "reply", ok: true, fields: ["1"] }]);
  expect(commandText(C.get("G4"))).toBe("$G4^57");
  expect(R.parseG4(["1"])).toBe(true);
});

test("2: `$0K^20` (digit zero) is not a reply; `$OK^20` is", () => {
  expect(decode("$0K^20\r")[0]?.kind).toBe("bad");
  expect(decode("$OK^20\r")).toMatchObject([{ kind: "reply", ok: true, fields: [] }]);
});

test("3: replies carry ^XK even when the command had no checksum; the sequence id only when sent", () => {
  const r = new Rig();
  expect(r.reply(C.get("GS"), { checksum: "none" }).text).toBe("$OK 01 0 01 0200^12");
  expect(r.reply({ code: "GS", seq: 7 }, { checksum: "none" }).text).toBe("$OK 01 0 01 0200 :07^0F");
});

test("4: `$ST` is the RAPI 2–4 notification; 5.0 uses `$AT`; the additive form is accepted", () => {
  expect(features("4.0.1").stateNotification).toBe("ST");
  expect(features("5.0.0").stateNotification).toBe("AT");
  // 0x24 ⊕ 0x53 ⊕ 0x54 ⊕ 0x20 ⊕ 0x33 = 0x30.
  expect(decode("$ST 3^30\r")).toMatchObject([{ kind: "notification", notification: { type: "ST", state: 3 } }]);
  expect(new Rig().reply(C.get("GV"), { checksum: "sum" }).ok).toBe(true);
});

test("5: state 4 is vent required; errors are 4–14 (15–17 on D9); 254 sleeping, 255 disabled, 0 starting", () => {
  expect([stateText(4), stateText(254), stateText(255), stateText(0)]).toEqual(["vent required", "sleeping", "disabled", "starting"]);
  expect([4, 14, 15, 17].every(isErrorState)).toBe(true);
});

const STATUS: GatewayStatus = {
  state: 1, vflags: 0x0200, pilotA: 32, maxCurrentA: 32, currentMa: null, voltageV: 240, threePhase: false,
  temperatures: { ds3231: null, mcp9808: null, tmp007: null }, tempMax: null, status: "active", divertMode: 1,
  manualOverride: false, evseConnected: true, sessionElapsedS: 0, sessionEnergyWh: 120, totalEnergyWh: 98_765,
  totals: { day: null, week: null, month: null, year: null }, totalSwitches: 0, frequencyCentiHz: null, limitSet: false,
};

test("6: legacy `wh` is the lifetime Wh (`$GU` field 2), not the session", () => {
  const legacy = new Map(statusTopics(STATUS, { legacy: true }));
  expect(legacy.get("wh")).toBe("98765");
  expect(R.parseGU(["432000", "98765"]).totalWh).toBe(98765);
});

test("7: `charge_rate` (not `chargerate`), and `divert_update` is always 0", () => {
  const topics = publishedTopics({ divert_update: 0, grid_ie: -1077, charge_rate: 4 });
  expect(topics).toEqual([["divert_update", "0"], ["grid_ie", "-1077"], ["charge_rate", "4"]]);
  expect(statusTopics(STATUS, { legacy: true }).some(([k]) => k === "chargerate")).toBe(false);
});

test("8: `$GC` has 4 fields and `$GS` a hex state since RAPI 5.0.0", () => {
  expect(R.parseGC(["6", "32", "16", "32"], features("5.0.0"))).toEqual({ minA: 6, hwMaxA: 32, pilotA: 16, maxA: 32 });
  expect(R.parseGS(["fe", "0", "01", "0200"], features("5.0.0")).state).toBe(254);
  expect(R.parseGS(["5", "1"], features("4.0.1")).state).toBe(5);
});

test("9: `$GU` field 2 is Wh, `$GG` field 2 mV, `$GF` hex", () => {
  expect(R.parseGG(["0", "240000"]).voltageMv).toBe(240000);
  expect(R.parseGF(["1a", "0", "2"]).gfi).toBe(26);
});

test("10: S4 is the auth lock; S5 the socket lock; SK sets Wh; S2 and SD answer $NK", () => {
  expect(commandText(C.authLock(true))).toBe("$S4 1^52");
  const r = new Rig();
  r.reply(C.mennekesLock("M"));
  r.reply(C.mennekesLock("lock"));
  expect(R.parseG5(r.reply(C.get("G5")).fields).locked).toBe(true);
  r.reply(C.setEnergyCounter(1234));
  expect(R.parseGU(r.reply(C.get("GU")).fields).totalWh).toBe(1234);
  expect(r.reply({ code: "S2", params: ["1"] }).ok).toBe(false);
  expect(r.reply({ code: "SD", params: ["1"] }).ok).toBe(false);
});

test("11: any second `$SC` parameter but M is volatile; M is the one-time hardware maximum", () => {
  const r = new Rig();
  r.reply({ code: "SC", params: ["12", "Q"] });
  expect(R.parseGC(r.reply(C.get("GC")).fields, features("5.2.1"))).toMatchObject({ pilotA: 12, maxA: 32 });
  expect(r.reply(C.setCurrent(40, "hardware-max")).fields).toEqual(["40"]);
  expect(r.reply(C.setCurrent(50, "hardware-max")).ok).toBe(false);
});

test("12: S3 and SH are not on the PlatformIO builds OpenEVSE ships", () => {
  const r = new Rig();
  expect(r.reply(C.timeLimit(4)).text).toBe("$NK^21");
  expect(r.reply(C.chargeLimit(10)).text).toBe("$NK^21");
});

test("13: replies go to `<base>/rapi/out`, the reply as payload", () => {
  expect(rapiOut("$OK 8.2.3 5.2.1^2F")).toEqual(["rapi/out", "$OK 8.2.3 5.2.1^2F"]);
});

test("14: topic levels are separated by /, not \\", () => {
  const r = G.checkInputTopic("emon\\emonpi\\power1");
  expect(r.ok).toBe(false);
});
