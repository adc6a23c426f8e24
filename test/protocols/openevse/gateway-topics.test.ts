// §12.3 MQTT examples through the pure payload functions, the rest of §10.2–§10.6, and the
// command parsers' errors.

import { describe, expect, test } from "bun:test";
import { mergeProps } from "../../../protocols/openevse/claims.ts";
import { commandText } from "../../../protocols/openevse/codec.ts";
import * as G from "../../../protocols/openevse/gateway-commands.ts";
import { changedTopics, claimPayload, limitPayload, overridePayload, publishedTopics, rapiOut, statusTopics, type GatewayStatus } from "../../../protocols/openevse/gateway-topics.ts";
import { Rig } from "./sim-rig.ts";

function ok<T>(r: G.Parsed<T>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function err<T>(r: G.Parsed<T>): string {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}

const CHARGING: GatewayStatus = {
  state: 3,
  vflags: 0x0140,
  pilotA: 16,
  maxCurrentA: 32,
  currentMa: 15400,
  voltageV: 230,
  threePhase: false,
  temperatures: { ds3231: 250, mcp9808: null, tmp007: null },
  tempMax: 262,
  status: "active",
  divertMode: 1,
  manualOverride: true,
  evseConnected: true,
  sessionElapsedS: 3725,
  sessionEnergyWh: 3650.5,
  totalEnergyWh: 1_234_567,
  totals: { day: 3.65, week: 20.1, month: 80, year: 900.25 },
  totalSwitches: 17,
  frequencyCentiHz: null,
  limitSet: false,
};

describe("§12.3 examples (base openevse-7b2c)", () => {
  test("rapi/in/$SC with payload 13 becomes $SC 13^16; the reply goes to rapi/out as $OK 13^02", () => {
    const cmd = ok(G.parseRapiIn("openevse-7b2c/rapi/in/$SC", "13", true));
    expect(commandText(cmd)).toBe("$SC 13^16");
    expect(commandText(cmd, { checksum: "sum" })).toBe("$SC 13*3E");
    const reply = new Rig().reply(cmd).text;
    expect(rapiOut(reply)).toEqual(["rapi/out", "$OK 13^02"]);
  });

  test('override/set {"state":"active","charge_current":16} → retained override with auto_release true', () => {
    const cmd = ok(G.parseOverrideSet('{"state":"active","charge_current":16}'));
    const props = G.applyOverride(null, cmd, "disabled");
    expect(overridePayload(props)).toBe('{"state":"active","charge_current":16,"auto_release":true}');
  });

  test("emon/emonpi/power1 -1077 is a grid reading of −1077 W", () => {
    expect(ok(G.parsePowerInput("emon/emonpi/power1", "-1077"))).toBe(-1077);
  });

  test("state 3 and amp 15400 (mA)", () => {
    const topics = new Map(statusTopics(CHARGING));
    expect(topics.get("state")).toBe("3");
    expect(topics.get("amp")).toBe("15400");
  });
});

describe("status values (§10.2)", () => {
  test("the full dump: units, flags in decimal, false for missing sensors", () => {
    expect(statusTopics(CHARGING)).toEqual([
      ["amp", "15400"],
      ["voltage", "230"],
      ["power", "3542"],
      ["pilot", "16"],
      ["max_current", "32"],
      ["temp", "250"],
      ["temp_max", "262"],
      ["temp1", "250"],
      ["temp2", "false"],
      ["temp3", "false"],
      ["state", "3"],
      ["status", "active"],
      ["flags", "320"],
      ["vehicle", "1"],
      ["colour", "6"],
      ["manual_override", "1"],
      ["elapsed", "3725"],
      ["session_elapsed", "3725"],
      ["evse_connected", "1"],
      ["divertmode", "1"],
      ["session_energy", "3650.5"],
      ["total_energy", "1234.567"],
      ["total_day", "3.65"],
      ["total_week", "20.1"],
      ["total_month", "80"],
      ["total_year", "900.25"],
      ["total_switches", "17"],
      ["wattsec", "13141800"],
      ["watthour", "1234567"],
      ["limit", "false"],
    ]);
  });

  test("not charging: amp and power 0 whatever $GG said; three-phase power; D9 frequency; temp falls through the sensors", () => {
    const idle = new Map(statusTopics({ ...CHARGING, state: 254, vflags: 0x0100 }));
    expect([idle.get("amp"), idle.get("power"), idle.get("colour"), idle.get("vehicle")]).toEqual(["0", "0", "6", "1"]);
    const three = new Map(statusTopics({ ...CHARGING, threePhase: true, frequencyCentiHz: 5002, temperatures: { ds3231: null, mcp9808: 301, tmp007: 299 } }));
    expect([three.get("power"), three.get("frequency"), three.get("temp")]).toEqual(["10626", "5002", "301"]);
    const unknown = new Map(statusTopics({ ...CHARGING, state: null, vflags: null, pilotA: null }));
    expect([unknown.get("state"), unknown.get("flags"), unknown.get("pilot"), unknown.get("colour")]).toEqual(["false", "false", "false", "false"]);
  });

  test("legacy topics behind a flag: wh is the lifetime Wh (§13 item 6)", () => {
    expect(statusTopics(CHARGING).some(([k]) => k === "wh")).toBe(false);
    expect(statusTopics(CHARGING, { legacy: true }).at(-1)).toEqual(["wh", "1234567"]);
  });

  test("event-driven publishing: only what changed", () => {
    const before = new Map(statusTopics(CHARGING));
    const after = statusTopics({ ...CHARGING, currentMa: 16000, pilotA: 16 });
    expect(changedTopics(before, after)).toEqual([
      ["amp", "16000"],
      ["power", "3680"],
    ]);
  });

  test("divert and shaper values as the gateway prints them", () => {
    expect(publishedTopics({ divert_active: true, charge_rate: 7, smoothed_available_current: 7.951134, voltage: 240 })).toEqual([
      ["divert_active", "true"],
      ["charge_rate", "7"],
      ["smoothed_available_current", "7.951"],
      ["voltage", "240"],
    ]);
  });
});

describe("retained JSON topics (§10.3)", () => {
  test("override, claim, limit, and their empty forms", () => {
    expect(overridePayload(null)).toBe('{"state":"null"}');
    expect(claimPayload(null)).toBe('{"state":"null"}');
    expect(claimPayload({ client: "mqtt", priority: 500, props: { max_current: 10 } })).toBe('{"priority":500,"max_current":10,"auto_release":false}');
    expect(limitPayload({ type: "energy", value: 5000, auto_release: true })).toBe('{"type":"energy","value":5000,"auto_release":true}');
    expect(limitPayload(null)).toBe('{"type":"none","value":0,"auto_release":false}');
  });
});

describe("command topics (§10.4) and their errors", () => {
  test("override/set: toggle, clear, incremental, and named errors", () => {
    expect(ok(G.parseOverrideSet("toggle"))).toEqual({ kind: "toggle" });
    expect(G.applyOverride(null, { kind: "toggle" }, "active")).toEqual({ state: "disabled", auto_release: true });
    expect(G.applyOverride({ state: "active" }, { kind: "toggle" }, "active")).toBeNull();
    expect(G.applyOverride({ state: "active" }, ok(G.parseOverrideSet("clear")), "active")).toBeNull();
    const patch = ok(G.parseOverrideSet('{"max_current":20,"auto_release":false}'));
    expect(G.applyOverride({ state: "active", charge_current: 16, auto_release: true }, patch, "active")).toEqual({ state: "active", charge_current: 16, max_current: 20, auto_release: false });
    expect(err(G.parseOverrideSet('{"state":"on"}'))).toBe('override/set: state: expected "active", "disabled" or "clear"');
    for (const bad of ['"16"', "16.5", "200", "-1", "null"]) {
      expect(err(G.parseOverrideSet(`{"charge_current":${bad}}`))).toBe('override/set: charge_current: expected whole amps 0–80 or "clear"');
    }
    expect(err(G.parseOverrideSet('{"charge_curent":16}'))).toContain("charge_curent");
    expect(err(G.parseOverrideSet("{secret pin 1234"))).toBe("override/set: not JSON (16 bytes)");
  });

  test("claim/set keeps properties between messages; release", () => {
    const first = ok(G.parseClaimSet('{"state":"active","charge_current":10}'));
    const second = ok(G.parseClaimSet('{"charge_current":"clear","max_current":12}'));
    if (first.kind !== "set" || second.kind !== "set") throw new Error("expected set");
    expect(mergeProps(mergeProps({}, first.patch), second.patch)).toEqual({ state: "active", max_current: 12 });
    expect(ok(G.parseClaimSet(" release "))).toEqual({ kind: "release" });
  });

  test("divertmode/set, shaper/set, limit/set, restart", () => {
    expect(ok(G.parseDivertModeSet("2"))).toBe(2);
    expect(err(G.parseDivertModeSet("3"))).toBe('divertmode/set: expected 1 (normal) or 2 (eco), got "3"');
    expect(ok(G.parseShaperSet("0"))).toBe(false);
    expect(err(G.parseShaperSet("on"))).toContain("expected 0 or 1");
    expect(ok(G.parseLimitSet('{"type":"time","value":90}'))).toEqual({ type: "time", value: 90, auto_release: true });
    expect(ok(G.parseLimitSet("clear"))).toBeNull();
    expect(err(G.parseLimitSet('{"type":"energy"}'))).toBe("limit/set: value: required unless type is none");
    expect(err(G.parseLimitSet('{"type":"soc","value":120}'))).toContain("0–100 %");
    expect(err(G.parseLimitSet('{"type":"distance","value":1}'))).toContain("type:");
    expect(ok(G.parseRestart('{"device":"evse"}'))).toBe("evse");
    expect(err(G.parseRestart('{"device":"router"}'))).toBe('restart: device: expected "gateway" or "evse"');
  });

  test("rapi/in: the filter of builds without full RAPI; bad topics", () => {
    expect(ok(G.parseRapiIn("b/rapi/in/$GS", "", false))).toEqual({ code: "GS", params: [] });
    expect(ok(G.parseRapiIn("b/rapi/in/$FB", "7", false))).toEqual({ code: "FB", params: ["7"] });
    expect(err(G.parseRapiIn("b/rapi/in/$FS", "", false))).toContain("$FS is not allowed");
    expect(ok(G.parseRapiIn("b/rapi/in/$FS", "", true))).toEqual({ code: "FS", params: [] });
    expect(err(G.parseRapiIn("b/rapi/in/GS", "", true))).toContain("must end in $");
  });

  test("inputs (§10.6): power truncates like the gateway but garbage is refused; voltage 60–300 V; topic paths", () => {
    expect(ok(G.parsePowerInput("solar", "3.9"))).toBe(3);
    expect(err(G.parsePowerInput("emon/emonpi/power1", "n/a"))).toBe('emon/emonpi/power1: expected a power in W, got "n/a"');
    expect(err(G.parsePowerInput("p", ""))).toContain("expected a power");
    expect(ok(G.parseVoltageInput("emon/emonpi/vrms", "231.4"))).toBe(231.4);
    expect(err(G.parseVoltageInput("v", "12"))).toContain("60–300 V");
    expect(err(G.checkInputTopic("emon\\emonpi\\power1"))).toContain('did you mean "emon/emonpi/power1"');
    expect(ok(G.checkInputTopic("emon/emonpi/power1"))).toBe("emon/emonpi/power1");
    expect(err(G.checkInputTopic("emon/#"))).toContain("without wildcards");
  });
});
