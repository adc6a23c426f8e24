// Pure parts: codec, validation error codes, meter conversion, names, identity/auth, aliases, policy, persistence.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../lib/log.ts";
import { decodeFrame, encodeFrame, frameDecoder } from "../../../protocols/ocpp/codec.ts";
import { camelToSnake, convertKeys, resolveAction, snakeToCamel } from "../../../protocols/ocpp/commands.ts";
import { ocppSectionSchema } from "../../../protocols/ocpp/config.ts";
import { ocppEnvAliases } from "../../../protocols/ocpp/env-aliases.ts";
import { aggregate, compatPairs, normalizedFrom, samplesOf } from "../../../protocols/ocpp/meter.ts";
import { IdentityBook } from "../../../protocols/ocpp/identity.ts";
import { mapStatus } from "../../../protocols/ocpp/status.ts";
import { OcppStateStore } from "../../../protocols/ocpp/persist.ts";
import { makePolicy, parseOnOff } from "../../../protocols/ocpp/policy.ts";
import type { SampledValue } from "../../../protocols/ocpp/schemas-common.ts";
import { CP_INITIATED, CS_INITIATED, validate } from "../../../protocols/ocpp/schemas.ts";
import { checkBasicAuth, chooseSubprotocol, makeDecider, resolveIdentity } from "../../../protocols/ocpp/door.ts";

describe("codec", () => {
  test("decodes the three message types and round-trips them", () => {
    for (const text of ['[2,"a","Heartbeat",{}]', '[3,"a",{"currentTime":"2026-01-01T00:00:00Z"}]', '[4,"a","NotImplemented","x",{}]']) {
      const d = decodeFrame(text);
      expect(d.ok).toBe(true);
      if (d.ok) expect(encodeFrame(d.frame)).toBe(text);
    }
  });

  test("bad frames are values with the id when it was readable", () => {
    expect(decodeFrame("nope")).toMatchObject({ ok: false, bad: { reason: "not valid JSON" } });
    expect(decodeFrame("{}")).toMatchObject({ ok: false, bad: { reason: "not a JSON array" } });
    expect(decodeFrame('[2,"id","Heartbeat",[]]')).toMatchObject({ ok: false, bad: { id: "id", messageType: 2 } });
    expect(decodeFrame('[9,"id",{}]')).toMatchObject({ ok: false, bad: { id: "id", messageType: 9 } });
    expect(decodeFrame(`[2,"${"x".repeat(37)}","Heartbeat",{}]`)).toMatchObject({ ok: false });
    expect(decodeFrame('[2,5,"Heartbeat",{}]').ok).toBe(false);
  });

  test("CALLERROR without details is still an error frame", () => {
    expect(decodeFrame('[4,"a","GenericError","x"]')).toEqual({ ok: true, frame: { type: 4, id: "a", code: "GenericError", description: "x", details: {} } });
  });

  test("the stream decoder bounds message size", async () => {
    const out: boolean[] = [];
    const utf8 = new TextEncoder();
    const s = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(utf8.encode('[2,"a","Heartbeat",{}]')); c.enqueue(utf8.encode("[" + " ".repeat(200) + "]")); c.close(); } });
    const reader = s.pipeThrough(new TransformStream(frameDecoder(100))).getReader();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      out.push(r.value.ok);
    }
    expect(out).toEqual([true, false]);
  });
});

describe("validation (1.6 error spellings)", () => {
  const boot = CP_INITIATED.BootNotification.request;
  test("codes per kind of violation", () => {
    expect(validate(boot, { chargePointVendor: "V" })).toMatchObject({ ok: false, code: "ProtocolError" });
    expect(validate(boot, { chargePointVendor: "V", chargePointModel: 5 })).toMatchObject({ ok: false, code: "TypeConstraintViolation" });
    expect(validate(boot, { chargePointVendor: "V", chargePointModel: "M", x: 1 })).toMatchObject({ ok: false, code: "FormationViolation" });
    expect(validate(CS_INITIATED.Reset.request, { type: "soft" })).toMatchObject({ ok: false, code: "FormationViolation" });
    expect(validate(CS_INITIATED.UnlockConnector.request, { connectorId: 0 })).toMatchObject({ ok: false, code: "PropertyConstraintViolation" });
    expect(validate(CP_INITIATED.MeterValues.request, { connectorId: 1, meterValue: [] })).toMatchObject({ ok: false, code: "OccurenceConstraintViolation" });
  });

  test("timestamps: offsets, fractions and a missing zone accepted; garbage refused", () => {
    const hb = CP_INITIATED.Heartbeat.response;
    for (const t of ["2026-01-27T10:00:00Z", "2026-01-27T10:00:00.123+01:00", "2026-11-21T11:40:27.288144"]) expect(validate(hb, { currentTime: t }).ok).toBe(true);
    expect(validate(hb, { currentTime: "yesterday" }).ok).toBe(false);
  });

  test("lenient mode tolerates extras, long strings and unknown enum values but not missing fields or wrong types", () => {
    expect(validate(boot, { chargePointVendor: "x".repeat(40), chargePointModel: "M", vendorThing: 1 }, true).ok).toBe(true);
    expect(validate(CP_INITIATED.StatusNotification.request, { connectorId: 1, errorCode: "Weird", status: "Available" }, true).ok).toBe(true);
    expect(validate(boot, { chargePointVendor: "V" }, true).ok).toBe(false);
    expect(validate(boot, { chargePointVendor: "V", chargePointModel: 3 }, true).ok).toBe(false);
  });
});

describe("meter values", () => {
  const entry = (sv: SampledValue[]) => samplesOf({ timestamp: "2026-01-01T00:00:00Z", sampledValue: sv });

  test("aggregates: current averaged over non-zero phases, power summed, line-to-line voltage / √3", () => {
    const cur = entry([{ value: "16", measurand: "Current.Import", phase: "L1" }, { value: "0", measurand: "Current.Import", phase: "L2" }, { value: "14", measurand: "Current.Import", phase: "L3" }]);
    expect(aggregate("Current.Import", cur)).toBe(15);
    expect(aggregate("Power.Active.Import", entry([{ value: "1000", measurand: "Power.Active.Import", phase: "L1" }, { value: "500", measurand: "Power.Active.Import", phase: "L2" }]))).toBe(1500);
    expect(aggregate("Voltage", entry([{ value: "400", measurand: "Voltage", phase: "L1-L2" }]))).toBeCloseTo(230.94, 1);
  });

  test("compat pairs: phase-less sample wins over the aggregate", () => {
    const pairs = compatPairs(entry([{ value: "7", measurand: "Current.Import", phase: "L1" }, { value: "9.5", measurand: "Current.Import" }]));
    expect(pairs).toEqual([["current_import_l1", "7"], ["current_import", "9.5"]]);
  });

  test("normalized: kWh → Wh, kW → W, per-phase arrays, temperature in °C", () => {
    const n = normalizedFrom(entry([
      { value: "12.5", measurand: "Energy.Active.Import.Register", unit: "kWh" },
      { value: "3.6", measurand: "Power.Active.Import", unit: "kW" },
      { value: "10", measurand: "Current.Import", phase: "L1", unit: "A" },
      { value: "11", measurand: "Current.Import", phase: "L3", unit: "A" },
      { value: "230", measurand: "Voltage", unit: "V" },
      { value: "300.15", measurand: "Temperature", unit: "K" },
    ]));
    expect(n).toEqual({ energy_total_wh: 12500, power_w: 3600, current_a: [10, null, 11], voltage_v: [230, null, null], temperature_c: 27 });
    expect(normalizedFrom(entry([{ value: "42" }]))).toEqual({ energy_total_wh: 42 });
  });

  test("status mapping", () => {
    expect(["Available", "Preparing", "Charging", "SuspendedEV", "Unavailable", "Faulted", "Reserved", "Finishing"].map(mapStatus)).toEqual([
      "available", "connected", "charging", "suspended", "disabled", "error", "available", "connected",
    ]);
  });
});

describe("names and case", () => {
  test("snake ↔ camel, nested", () => {
    expect(snakeToCamel("cs_charging_profiles")).toBe("csChargingProfiles");
    expect(camelToSnake("chargingSchedulePeriod")).toBe("charging_schedule_period");
    expect(convertKeys({ a_b: [{ c_d: 1 }] }, snakeToCamel)).toEqual({ aB: [{ cD: 1 }] });
  });

  test("actions by compat name, regular snake name or OCPP name", () => {
    expect(resolveAction("get_local_version")).toEqual({ action: "GetLocalListVersion", snake: true });
    expect(resolveAction("get_local_list_version")).toEqual({ action: "GetLocalListVersion", snake: true });
    expect(resolveAction("Reset")).toEqual({ action: "Reset", snake: false });
    expect(resolveAction("BootNotification")).toBeUndefined();
  });
});

describe("accepting connections", () => {
  const q = (s = "") => new URLSearchParams(s);
  test("identity: ?station=, else last path segment decoded, else cp_<ip>", () => {
    expect(resolveIdentity("/ocpp1.6", q("station=GRS-1"), "1.2.3.4")).toEqual({ identity: "GRS-1", fallback: false });
    expect(resolveIdentity("/ocpp/CP%20001/", q(), "1.2.3.4")).toEqual({ identity: "CP 001", fallback: false });
    expect(resolveIdentity("/", q(), "1.2.3.4")).toEqual({ identity: "cp_1.2.3.4", fallback: true });
  });

  test("subprotocol: our preference, none allowed, no match", () => {
    expect(chooseSubprotocol(["ocpp2.0.1", "ocpp1.6"], ["ocpp1.6"], true)).toBe("ocpp1.6");
    expect(chooseSubprotocol([], ["ocpp1.6"], true)).toBeNull();
    expect(chooseSubprotocol([], ["ocpp1.6"], false)).toBeUndefined();
    expect(chooseSubprotocol(["ocpp2.0.1"], ["ocpp1.6"], true)).toBeUndefined();
  });

  test("path_prefix: other paths refused with 404, the prefix alone is no identity", () => {
    const cfg = ocppSectionSchema.parse({ path_prefix: "/ocpp" });
    const decide = makeDecider(cfg, silentLogger, new IdentityBook(cfg, { live: new Map(), remembered: new Map() }));
    const req = (path: string) => ({ path, query: q(), headers: new Headers(), remoteAddress: "10.0.0.9", offered: ["ocpp1.6"] });
    expect(decide(req("/other/CP1"))).toMatchObject({ accept: false, status: 404 });
    expect(decide(req("/ocpp/CP1"))).toMatchObject({ accept: true, protocol: "ocpp1.6", context: { identity: "CP1" } });
    expect(decide(req("/ocpp"))).toMatchObject({ accept: true, context: { identity: "cp_10.0.0.9" } });
  });

  test("Basic auth: user must be the identity, colons allowed in the password", () => {
    const h = (s: string) => "Basic " + Buffer.from(s).toString("base64");
    expect(checkBasicAuth(h("CP1:a:b"), "CP1", "a:b")).toBe(true);
    expect(checkBasicAuth(h("CP1:a:c"), "CP1", "a:b")).toBe(false);
    expect(checkBasicAuth(h("CP2:a:b"), "CP1", "a:b")).toBe(false);
    expect(checkBasicAuth(undefined, "CP1", "a:b")).toBe(false);
  });
});

describe("config, aliases, policy, persistence", () => {
  test("empty section is valid; typos are reported", () => {
    const cfg = ocppSectionSchema.parse({});
    expect(cfg.listen).toBe("0.0.0.0:9000");
    expect(cfg.enabled).toBe(false);
    expect(ocppSectionSchema.safeParse({ lisen: "x" }).success).toBe(false);
  });

  test("ocpp2mqtt env names", () => {
    const problems: string[] = [];
    const a = ocppEnvAliases({ MQTT_BASEPATH: "ocpp/", MQTT_USESTATIONNAME: "true", LISTEN_PORT: "3000", AUTHORIZED_TAG_ID_LIST: '["johnny-car"]', MQTT_HOSTNAME: "broker", MQTT_USERNAME: "u", LOG_LEVEL: "WARNING", EXPECTED_CHARGE_POINTS: "oops" }, problems);
    expect(a.ocpp).toEqual({ listen: "0.0.0.0:3000", compat_base: "ocpp", compat_append_identity: true, authorized_tags: ["johnny-car"] });
    expect(a.mqtt).toEqual({ url: "mqtt://broker:1883", username: "u" });
    expect(a.log).toEqual({ level: "warn" });
    expect(problems).toHaveLength(1);
    expect(ocppEnvAliases({ MQTT_BASEPATH: "'ocpp/charger1'" }).ocpp).toEqual({ compat_base: "ocpp/charger1", compat_append_identity: false });
    expect(ocppSectionSchema.safeParse(a.ocpp).success).toBe(true);
  });

  test("charging_enabled policy (§7.5 + F14) and the other policies", () => {
    const p = makePolicy({ auth_policy: "charging_enabled", authorized_tags: ["Johnny-Car"] });
    expect(p.authorize("johnny-car", false)).toBe("Blocked");
    expect(p.authorize("johnny-car", true)).toBe("Accepted");
    expect(p.authorize("stranger", true)).toBe("Invalid");
    expect(p.startTransaction("stranger", true)).toBe("Accepted");
    expect(p.startTransaction("johnny-car", false)).toBe("Blocked");
    expect(makePolicy({ auth_policy: "tags", authorized_tags: ["a"] }).startTransaction("b", true)).toBe("Invalid");
    expect(makePolicy({ auth_policy: "accept_all", authorized_tags: [] }).authorize("b", false)).toBe("Accepted");
    expect([true, 1, "on", "Yes", "y", "TRUE"].map(parseOnOff)).toEqual([true, true, true, true, true, true]);
    expect([false, 0, "off", "maybe", null, undefined].map(parseOnOff)).toEqual([false, false, false, false, false, false]);
  });

  test("transaction ids and charging_enabled survive a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "ocpp-state-"));
    const a = new OcppStateStore(dir, silentLogger);
    const ids = [a.nextTransactionId(), a.nextTransactionId()];
    a.setChargingEnabled("CP1", true);
    const b = new OcppStateStore(dir, silentLogger);
    const next = b.nextTransactionId();
    expect(next).toBeGreaterThan(Math.max(...ids));
    expect(b.chargingEnabled("CP1")).toBe(true);
    expect(b.chargingEnabled("CP2")).toBeUndefined();
  });
});
