// Simulated PSU ⇄ bridge (Huawei plugin, real sockets) ⇄ real Mosquitto ⇄ MQTT probe: start-up,
// telemetry topics, normalized state, commands reaching the registers the PSU reads.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Pdu } from "../../../protocols/huawei/pdu.ts";
import { MOCK_KEY, type SimulatedPsu } from "../../../protocols/huawei/sim/psu.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { connectors, rig, type Rig, startSim, unit } from "./rig.ts";
import { toHex } from "./vectors.ts";

setDefaultTimeout(30_000);
type Json = Record<string, unknown>;
const file = brokerForFile();
const PREFIX = `huawei_e2e_${Date.now().toString(36)}`;

let sim: SimulatedPsu;
let r: Rig;

beforeAll(async () => {
  sim = await startSim();
  r = await rig(file.url, [unit("psu1", sim, { telemetry_prefix: PREFIX, esn: "0123456789ABCDEF", connectors: connectors(1, 2) })]);
});

afterAll(async () => {
  await r?.close();
  await sim?.dispose();
});

const raw = (s: Json): Json => (typeof s.raw === "object" && s.raw !== null ? { ...s.raw } : {});
const psuConnection = () => {
  const c = sim.latest;
  if (!c) throw new Error("no dispenser connected to the simulated PSU");
  return c;
};

describe("start-up (spec §5.1)", () => {
  test("connector count read, READY on the MAC write, key fetched per connector, connectors online", async () => {
    for (const id of ["psu1_1", "psu1_2"]) await r.probe.wait(`${r.base}/${id}/availability`, (m) => m.text === "online");
    await until(() => psuConnection().keysSent === 2, "the PSU handed out a key per connector");
    expect(psuConnection().connectorCount).toBe(2);
    // Each connector showed STANDBY_WITH_CONNECTOR_INSERTED for the key, then went back to STANDBY.
    await until(() => [1, 2].every((c) => psuConnection().statusHistory.get(c === 1 ? 1 : 2)?.at(-1) === 0), "both connectors back to standby");
    for (const c of [1, 2] as const) expect(psuConnection().statusHistory.get(c)).toContain(1);
    const link = r.huawei.link("psu1");
    expect(link?.unit.connectors.map((c) => [c.machine.state, c.machine.hasKey])).toEqual([["CarDisconnected", true], ["CarDisconnected", true]]);
    expect(link?.session?.isReady).toBe(true);
  });
});

describe("compatible telemetry (spec §10)", () => {
  test("the four sub-topics with the module's fields and order, null until known", async () => {
    const psu = await r.probe.waitJson<Json>(`${PREFIX}/psu`, (v) => v.psu_running_mode === "RUNNING" && Object.values(v).every((x) => x !== null));
    expect(Object.keys(psu)).toEqual(["ac_input_current_a", "ac_input_current_b", "ac_input_current_c", "ac_input_voltage_a", "ac_input_voltage_b", "ac_input_voltage_c", "psu_running_mode", "total_historic_input_energy"]);
    for (const k of ["ac_input_voltage_a", "ac_input_voltage_b", "ac_input_voltage_c"]) {
      const v = psu[k];
      if (typeof v !== "number") throw new Error(`${k} is ${JSON.stringify(v)}`);
      expect(v).toBeGreaterThan(217);
      expect(v).toBeLessThan(243);
      // No float32 artefacts: the shortest decimal of the float32 value.
      expect(Number(v.toPrecision(8))).toBe(v);
      expect(String(v).replace(/^\d+\.?/, "").length).toBeLessThanOrEqual(6);
    }
    expect(psu.total_historic_input_energy).toBeNumber();
    // The capabilities arrive over several PSU writes: wait for the payload that has them all.
    const con = await r.probe.waitJson<Json>(`${PREFIX}/connector/1`, (v) => Object.values(v).every((x) => x !== null));
    expect(JSON.stringify(con)).toBe('{"max_rated_psu_current":100,"max_rated_psu_voltage":1000,"min_rated_psu_current":1,"min_rated_psu_voltage":100,"psu_port_available":"AVAILABLE","rated_output_power_psu":60000}');
    const d2p = await r.probe.waitJson<Json>(`${PREFIX}/connector/2/dispenser_to_psu`);
    expect(JSON.stringify(d2p)).toBe('{"bsp_event":null,"dc_output_contactor_fault_alarm":false,"everest_mode":null,"everest_phase":null,"export_current":null,"export_voltage":null,"output_current":null,"output_voltage":null,"upstream_voltage":null}');
    const alarms = await r.probe.waitJson<Json>(`${PREFIX}/dispenser/published_alarms`);
    expect(JSON.stringify(alarms)).toBe('{"door_status_alarm":false,"epo_alarm":false,"tilt_alarm":false,"water_alarm":false}');
  });

  test("published once at start-up with nulls, then only on change (no duplicate payloads)", async () => {
    const first = r.probe.messages.find((m) => m.topic === `${PREFIX}/connector/1`);
    expect(first?.text).toBe('{"max_rated_psu_current":null,"max_rated_psu_voltage":null,"min_rated_psu_current":null,"min_rated_psu_voltage":null,"psu_port_available":null,"rated_output_power_psu":null}');
    const firstPsu = r.probe.messages.find((m) => m.topic === `${PREFIX}/psu`);
    expect(firstPsu?.text).toContain('"psu_running_mode":null');
    // Several PSU cycles rewrite the same capabilities; the payload must not repeat.
    await r.probe.waitJson(`${PREFIX}/connector/1`, (v) => Object.values(v).every((x) => x !== null));
    const count = (sub: string) => r.probe.messages.filter((m) => m.topic === `${PREFIX}/${sub}`).length;
    const before = count("connector/1");
    const cycles = psuConnection().cycles;
    await until(() => psuConnection().cycles >= cycles + 3, "three more PSU cycles");
    expect(count("connector/1")).toBe(before);
    for (const sub of ["psu", "connector/1", "connector/2", "connector/1/dispenser_to_psu", "dispenser/published_alarms"]) {
      const texts = r.probe.messages.filter((m) => m.topic === `${PREFIX}/${sub}`).map((m) => m.text);
      expect(texts.length).toBeGreaterThan(0);
      texts.forEach((t, i) => i > 0 && expect({ sub, t }).not.toEqual({ sub, t: texts[i - 1] }));
    }
  });
});

describe("normalized layout", () => {
  test("one device per connector: available, PSU detail in raw, no errors", async () => {
    const s = await r.state("psu1_1", (v) => v.status === "available" && Array.isArray(v.errors) && v.errors.length === 0 && raw(v).connector_state === "CarDisconnected");
    expect(s.protocol).toBe("huawei");
    expect(s.errors).toEqual([]);
    expect(s.enabled).toBeNull();
    expect(s.voltage_v).toEqual([null, null, null]);
    const d = raw(s);
    expect(d).toMatchObject({ global_connector_number: 1, link: "ready", psu_running_mode: "RUNNING", psu_port_available: "AVAILABLE", connector_state: "CarDisconnected", key_fetch: false, goose: "off" });
    expect(d.capabilities).toEqual({ max_voltage_v: 1000, min_voltage_v: 100, max_current_a: 100, min_current_a: 1, rated_power_w: 60000 });
    // The configured maxima cap the PSU's capabilities (spec §9).
    expect(d.limits).toEqual({ max_current_a: 80, max_power_w: 30000 });
  });

  test("set_measurements: the PSU reads them (0x1107/0x1109/0x1113), power and telemetry follow", async () => {
    const res = await r.request("psu1_1", "set_measurements", { output_voltage_v: 400, output_current_a: 20, upstream_voltage_v: 12.5 });
    expect(res.status).toBe("ok");
    const s = await r.state("psu1_1", (v) => v.power_w === 8000);
    expect([s.voltage_v, s.current_a]).toEqual([[400, null, null], [20, null, null]]);
    const d2p = await r.probe.waitJson<Json>(`${PREFIX}/connector/1/dispenser_to_psu`, (v) => v.output_voltage === 400);
    expect([d2p.output_current, d2p.upstream_voltage]).toEqual([20, 12.5]);
    const words = await psuConnection().read(0x1107, 4);
    expect(toHex(new Uint8Array(Uint16Array.from(words, (w) => ((w & 0xff) << 8) | (w >> 8)).buffer))).toBe("43c8000041a00000");
    expect(await psuConnection().read(0x1113, 2)).toEqual(Uint16Array.of(0x4148, 0x0000));
    const bad = await r.request("psu1_1", "set_measurements", { output_voltage_v: -1 });
    expect(bad.status).toBe("error");
    expect(String(bad.error)).toContain("output_voltage_v must be ≥ 0");
  });
});

describe("alarms (spec §8)", () => {
  test("set_alarm reaches the PSU's registers from any connector's topic and is cleared dispenser-wide", async () => {
    const res = await r.request("psu1_2", "set_alarm", { alarm: "door", active: true });
    expect(res).toMatchObject({ status: "ok", data: { alarm: "door", active: true, changed: true } });
    await until(() => psuConnection().alarms.door, "the PSU sees the door alarm in a report");
    await r.probe.waitJson(`${PREFIX}/dispenser/published_alarms`, (v) => v.door_status_alarm === true);
    expect(await psuConnection().read(0x3001, 4)).toEqual(Uint16Array.of(1, 0, 0, 0));
    await r.request("psu1_1", "set_alarm", { alarm: "door", active: false });
    await until(() => !psuConnection().alarms.door, "the PSU sees the door alarm cleared");
    const bad = await r.request("psu1_1", "set_alarm", { alarm: "fire", active: true });
    expect(bad.status).toBe("error");
    expect(String(bad.error)).toContain("alarm must be one of door, water, epo, tilt");
  });

  test("EPO: the PSU reacts with FAULTY; the bridge shows the error until it is cleared", async () => {
    await r.request("psu1_1", "set_alarm", { alarm: "epo", active: true });
    const s = await r.state("psu1_2", (v) => v.status === "error");
    expect(s.errors).toContain("psu_not_running: running mode FAULTY");
    await r.probe.waitJson(`${PREFIX}/psu`, (v) => v.psu_running_mode === "FAULTY");
    await r.request("psu1_2", "set_alarm", { alarm: "epo", active: false });
    await r.state("psu1_2", (v) => v.status === "available" && Array.isArray(v.errors) && v.errors.length === 0, 10_000);
  });

  test("set_contactor_fault is per connector: register, telemetry, and the PSU's reaction", async () => {
    const res = await r.request("psu1_2", "set_contactor_fault", { active: true });
    expect(res).toMatchObject({ status: "ok", data: { active: true, changed: true } });
    await until(() => psuConnection().contactorFault.get(2) === true, "the PSU sees connector 2's contactor fault");
    expect(psuConnection().contactorFault.get(1)).toBe(false);
    await r.probe.waitJson(`${PREFIX}/connector/2/dispenser_to_psu`, (v) => v.dc_output_contactor_fault_alarm === true);
    await r.probe.waitJson(`${PREFIX}/connector/2`, (v) => v.psu_port_available === "NOT_AVAILABLE");
    await r.state("psu1_2", (v) => v.status === "disabled");
    await r.request("psu1_2", "set_contactor_fault", { active: false });
    await r.state("psu1_2", (v) => v.status === "available");
    expect((await r.state("psu1_1")).status).toBe("available");
  });

  test("PSU error registers become errors of every connector, raised and cleared (§8.2)", async () => {
    await psuConnection().write(0x4040, Uint16Array.of(0x0001, 0x0002));
    const text = "AcDcRectifier/rectifier_1: Category: AcDcRectifier; Subcategory: rectifier_1; Flags: 0x00010002";
    for (const id of ["psu1_1", "psu1_2"]) await r.state(id, (v) => Array.isArray(v.errors) && v.errors.includes(text));
    await psuConnection().write(0x4040, Uint16Array.of(0, 0));
    for (const id of ["psu1_1", "psu1_2"]) await r.state(id, (v) => Array.isArray(v.errors) && v.errors.length === 0);
  });
});

describe("commands the link cannot carry", () => {
  test("/set and power actions say GOOSE is off; unknown actions list the known ones", async () => {
    const set = await r.set("psu1_1", { enabled: true });
    expect(set.status).toBe("error");
    expect(String(set.error)).toBe("power commands need GOOSE, and this link has goose = false: it carries telemetry and alarms only");
    const p = await r.request("psu1_1", "power_request", { phase: "charging", voltage_v: 400, current_a: 10 });
    expect(p.error).toBe(set.error);
    const u = await r.request("psu1_1", "reboot");
    expect(String(u.error)).toContain("expected one of state, set_alarm, set_contactor_fault, set_measurements, car, power_request, power_stop");
  });
});

describe("Modbus server on the dispenser side (spec §1.2, §12.1)", () => {
  test("unknown function → 01, bad counts → 03, unmapped registers read 0, the ESN as configured", async () => {
    const c = psuConnection();
    const exception = (p: Pdu) => (p.kind === "exception" ? [p.functionCode, p.code] : p.kind);
    expect(exception(await c.request({ kind: "other", functionCode: 0x04, data: Uint8Array.of(0, 0, 0, 1) }))).toEqual([0x04, 0x01]);
    expect(exception(await c.request({ kind: "readRequest", address: 0x9999, count: 0 }))).toEqual([0x03, 0x03]);
    expect(exception(await c.request({ kind: "readRequest", address: 0x0000, count: 126 }))).toEqual([0x03, 0x03]);
    expect(exception(await c.request({ kind: "invalid", functionCode: 0x10, reason: "test", data: Uint8Array.of(0x11, 0x00, 0x00, 0x7c, 0x02, 0x00, 0x00) }))).toEqual([0x10, 0x03]);
    expect(await c.read(0x9999, 1)).toEqual(Uint16Array.of(0));
    const esn = await c.read(0x1016, 11);
    expect(new TextDecoder().decode(new Uint8Array(Uint16Array.from(esn, (w) => ((w & 0xff) << 8) | (w >> 8)).buffer)).replace(/\0+$/, "")).toBe("0123456789ABCDEF");
    // A write to our own constant is acknowledged and ignored (README, Huawei choices: read-only for the PSU).
    await c.write(0x1015, Uint16Array.of(9));
    expect(await c.read(0x1015, 1)).toEqual(Uint16Array.of(2));
  });
});

describe("the HMAC key (spec §7)", () => {
  test("never in a log line, an MQTT payload or an action's answer", async () => {
    await until(() => psuConnection().keysSent >= 2, "keys handed out");
    const st = await r.request("psu1_1", "state");
    expect(st.status).toBe("ok");
    const hex = toHex(MOCK_KEY);
    const forms = [hex, hex.toUpperCase(), Buffer.from(MOCK_KEY).toString("base64"), Array.from(MOCK_KEY.subarray(0, 8)).join(",")];
    const texts = [...r.logs, ...r.probe.messages.map((m) => m.text)];
    expect(texts.length).toBeGreaterThan(100);
    for (const f of forms) expect(texts.filter((t) => t.includes(f))).toEqual([]);
    expect(r.logs.some((l) => l.includes("HMAC key received"))).toBe(true);
  });
});
