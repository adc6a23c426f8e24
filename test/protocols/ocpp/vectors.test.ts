// Spec §9 test vectors, "Our bridge" lines: OCPP frames in, replies and compat MQTT out, over real sockets.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startBroker, type TestBroker } from "../../support/broker.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { type OcppBridge, RawCp, sleep, startOcpp } from "./helpers.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

const NOW = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const B = "ocpp/charger1";
let broker: TestBroker;
let bridge: OcppBridge;
let probe: MqttProbe;
let cp: RawCp;

beforeAll(async () => {
  broker = await startBroker();
  probe = await MqttProbe.connect(broker.url, [`${B}/#`, "ocpp/+/state/#"]);
  bridge = await startOcpp(broker.url, {
    compat_base: B,
    compat_append_identity: false,
    authorized_tags: ["johnny-car", "other-car"],
    heartbeat_interval_s: 60,
    // The vectors switch availability and start/stop back to back; the switch rate limit is tested in guard.test.ts.
    switch_min_interval_s: 0,
  });
  cp = await RawCp.connect(bridge.url("/ocpp/charger1"));
});

afterAll(async () => {
  cp?.close();
  await bridge?.stop();
  await probe?.close();
  await broker?.dispose();
});

/** Waits until every `key = value` appeared under `${B}/state/` since `since` (value RegExp or text). */
async function expectState(since: number, expected: Record<string, string | RegExp>): Promise<void> {
  for (const [k, v] of Object.entries(expected)) {
    await probe.wait(`${B}/state/${k}`, (m) => (typeof v === "string" ? m.text === v : v.test(m.text)), 5000, since);
  }
}

function statesSince(since: number, key: string): string[] {
  return probe.messages.filter((m) => m.seq >= since && m.topic === `${B}/state/${key}`).map((m) => m.text);
}

describe("spec §9 vectors", () => {
  test("TV1 BootNotification: Accepted, interval from config, UTC time with Z", async () => {
    const since = probe.mark();
    const r = await cp.call("b1", "BootNotification", { chargePointVendor: "United Chargers", chargePointModel: "GRS-14", chargePointSerialNumber: "SN123", firmwareVersion: "1.2.3", meterType: "EM1" });
    expect(r[0]).toBe(3);
    const p = r[2] as Record<string, unknown>;
    expect(p.status).toBe("Accepted");
    expect(p.interval).toBe(60);
    expect(String(p.currentTime)).toMatch(NOW);
    await expectState(since, { charge_point_vendor: "United Chargers", charge_point_model: "GRS-14", charge_point_serial_number: "SN123", firmware_version: "1.2.3", meter_type: "EM1" });
  });

  test("TV2 Heartbeat", async () => {
    const since = probe.mark();
    const r = await cp.call("h1", "Heartbeat", {});
    expect(String((r[2] as Record<string, unknown>).currentTime)).toMatch(NOW);
    await expectState(since, { heartbeat: "ON", last_seen: NOW });
  });

  test("TV3 StatusNotification Available zeroes power and current", async () => {
    const since = probe.mark();
    expect(await cp.call("s1", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Available", timestamp: "2026-01-27T10:00:00Z" })).toEqual([3, "s1", {}]);
    await expectState(since, { error_code: "NoError", status: "Available", connector_id: "1", connection_state: "CONNECTED", last_status_change: NOW, last_seen: NOW, timestamp: "2026-01-27T10:00:00Z", power_active_import: "0", current_import: "0" });
  });

  test("TV4 connector 0 faulted with vendor fields", async () => {
    const since = probe.mark();
    expect(await cp.call("z2", "StatusNotification", { connectorId: 0, errorCode: "OtherError", status: "Faulted", info: "overheat", vendorErrorCode: "E12" })).toEqual([3, "z2", {}]);
    await expectState(since, { error_code: "OtherError", status: "Faulted", connector_id: "0", info: "overheat", vendor_error_code: "E12", power_active_import: "0" });
  });

  test("TV5 Authorize while charging_enabled is OFF → Blocked", async () => {
    const since = probe.mark();
    expect(await cp.call("a1", "Authorize", { idTag: "johnny-car" })).toEqual([3, "a1", { idTagInfo: { status: "Blocked" } }]);
    await expectState(since, { authorize: "Blocked" });
  });

  test("TV6 charging_enabled ON; listed tag Accepted (case-insensitive, F14), unlisted Invalid", async () => {
    const since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "charging_enabled", args: "ON" });
    await expectState(since, { charging_enabled: "ON" });
    expect(await cp.call("a2", "Authorize", { idTag: "johnny-car" })).toEqual([3, "a2", { idTagInfo: { status: "Accepted" } }]);
    expect(await cp.call("a2b", "Authorize", { idTag: "JOHNNY-CAR" })).toEqual([3, "a2b", { idTagInfo: { status: "Accepted" } }]);
    expect(await cp.call("a3", "Authorize", { idTag: "stranger" })).toEqual([3, "a3", { idTagInfo: { status: "Invalid" } }]);
    await expectState(since, { authorize: "Invalid" });
  });

  let firstTx = 0;
  test("TV7 StartTransaction: unique id, published (F5)", async () => {
    const since = probe.mark();
    const r = await cp.call("t1", "StartTransaction", { connectorId: 1, idTag: "johnny-car", meterStart: 12000, timestamp: "2026-01-27T10:01:00Z" });
    const p = r[2] as { transactionId: number; idTagInfo: { status: string } };
    expect(p.idTagInfo.status).toBe("Accepted");
    expect(Number.isInteger(p.transactionId)).toBe(true);
    firstTx = p.transactionId;
    const r2 = await cp.call("t1b", "StartTransaction", { connectorId: 1, idTag: "x", meterStart: 12000, timestamp: "2026-01-27T10:01:00Z" });
    expect((r2[2] as { transactionId: number }).transactionId).toBeGreaterThan(firstTx);
    await expectState(since, { meter_start_timestamp: "2026-01-27T10:01:00Z", meter_start: "12000", transaction_id: String(firstTx + 1) });
  });

  test("TV8 StatusNotification Charging: no zeroing", async () => {
    const since = probe.mark();
    await cp.call("s2", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    await expectState(since, { status: "Charging", last_seen: NOW });
    expect(statesSince(since, "power_active_import")).toEqual([]);
  });

  test("TV9 MeterValues, several measurands", async () => {
    const since = probe.mark();
    const r = await cp.call("m1", "MeterValues", { connectorId: 1, transactionId: 1, meterValue: [{ timestamp: "2026-01-27T10:05:00Z", sampledValue: [{ value: "31.8", measurand: "Current.Import", unit: "A", phase: "L1" }, { value: "240.1", measurand: "Voltage", unit: "V" }, { value: "7600", measurand: "Power.Active.Import", unit: "W" }, { value: "12650", measurand: "Energy.Active.Import.Register", unit: "Wh" }, { value: "55", measurand: "SoC", unit: "Percent", context: "Sample.Periodic" }, { value: "33.0", measurand: "Current.Offered", unit: "A" }, { value: "41", measurand: "Temperature", unit: "Celsius" }] }] });
    expect(r).toEqual([3, "m1", {}]);
    await expectState(since, { transaction_id: "1", current_import_l1: "31.8", current_import: "31.8", voltage: "240.1", power_active_import: "7600", energy_active_import_register: "12650", soc: "55", current_offered: "33.0", temperature: "41" });
  });

  test("TV10 three phases and two entries: per-phase keys, aggregate, second entry processed (F3/F6)", async () => {
    const since = probe.mark();
    await cp.call("m2", "MeterValues", { connectorId: 1, transactionId: 1, meterValue: [{ timestamp: "2026-01-27T10:06:00Z", sampledValue: [{ value: "16.0", measurand: "Current.Import", unit: "A", phase: "L1" }, { value: "15.0", measurand: "Current.Import", unit: "A", phase: "L2" }, { value: "14.0", measurand: "Current.Import", unit: "A", phase: "L3" }] }, { timestamp: "2026-01-27T10:06:30Z", sampledValue: [{ value: "99", measurand: "Voltage" }] }] });
    await expectState(since, { current_import_l1: "16.0", current_import_l2: "15.0", current_import_l3: "14.0", current_import: "15", voltage: "99" });
  });

  test("TV11 MeterValues without measurand → energy register (F3)", async () => {
    const since = probe.mark();
    expect(await cp.call("m3", "MeterValues", { connectorId: 1, meterValue: [{ timestamp: "2026-01-27T10:07:00Z", sampledValue: [{ value: "12700" }] }] })).toEqual([3, "m3", {}]);
    await expectState(since, { transaction_id: "1", energy_active_import_register: "12700" });
  });

  test("TV12 StopTransaction with reason", async () => {
    const since = probe.mark();
    expect(await cp.call("t2", "StopTransaction", { transactionId: 1, idTag: "johnny-car", meterStop: 19850, timestamp: "2026-01-27T11:00:00Z", reason: "EVDisconnected" })).toEqual([3, "t2", { idTagInfo: { status: "Accepted" } }]);
    await expectState(since, { meter_stop_timestamp: "2026-01-27T11:00:00Z", meter_stop: "19850", meter_stop_reason: "EVDisconnected" });
  });

  test("TV13 StopTransaction without reason → Accepted, reason Local (F3)", async () => {
    const since = probe.mark();
    expect(await cp.call("t3", "StopTransaction", { transactionId: 1, meterStop: 19850, timestamp: "2026-01-27T11:00:00Z" })).toEqual([3, "t3", { idTagInfo: { status: "Accepted" } }]);
    await expectState(since, { meter_stop: "19850", meter_stop_reason: "Local" });
  });

  test("TV14 firmware/diagnostics status in their own keys (F4)", async () => {
    const since = probe.mark();
    expect(await cp.call("f1", "FirmwareStatusNotification", { status: "Installed" })).toEqual([3, "f1", {}]);
    expect(await cp.call("d1", "DiagnosticsStatusNotification", { status: "Uploaded" })).toEqual([3, "d1", {}]);
    await expectState(since, { firmware_status: "Installed", diagnostics_status: "Uploaded" });
    expect(statesSince(since, "status")).toEqual([]);
  });

  test("TV15 DataTransfer answered Accepted, no disconnect (F3)", async () => {
    const since = probe.mark();
    expect(await cp.call("x1", "DataTransfer", { vendorId: "com.example", messageId: "foo", data: "bar" })).toEqual([3, "x1", { status: "Accepted" }]);
    await expectState(since, { vendor_id: "com.example", message_id: "foo", data: "bar" });
    expect(cp.ws.readyState).toBe(cp.ws.OPEN);
    expect(statesSince(since, "connection_state")).toEqual([]);
  });

  test("TV16 invalid and unknown CALLs get 1.6 error codes and publish nothing (F13)", async () => {
    const since = probe.mark();
    const e1 = await cp.call("e1", "StatusNotification", { connectorId: "one", errorCode: "NoError", status: "Available" });
    expect(e1.slice(0, 3)).toEqual([4, "e1", "TypeConstraintViolation"]);
    expect(e1[4]).toEqual({});
    expect((await cp.call("e2", "BootNotification", { chargePointVendor: "X" })).slice(0, 3)).toEqual([4, "e2", "ProtocolError"]);
    expect((await cp.call("e3", "FooBar", {})).slice(0, 3)).toEqual([4, "e3", "NotImplemented"]);
    expect((await cp.call("e4", "SignCertificate", { csr: "x" })).slice(0, 3)).toEqual([4, "e4", "NotSupported"]);
    expect((await cp.call("e5", "Heartbeat", { extra: 1 })).slice(0, 3)).toEqual([4, "e5", "FormationViolation"]);
    expect((await cp.call("e6", "Authorize", { idTag: "x".repeat(21) })).slice(0, 3)).toEqual([4, "e6", "TypeConstraintViolation"]);
    // SecurityEventNotification is answered (spec §4).
    expect(await cp.call("z1", "SecurityEventNotification", { type: "FirmwareUpdated", timestamp: "2026-01-27T10:00:00Z" })).toEqual([3, "z1", {}]);
    cp.send([3, "unknown-id", { status: "Accepted" }]);
    // The session survives all of it.
    expect((await cp.call("h2", "Heartbeat", {}))[0]).toBe(3);
    await sleep(100);
    expect(statesSince(since, "status")).toEqual([]);
    expect(statesSince(since, "charge_point_vendor")).toEqual([]);
  });

  test("TV17 change_availability command → cmd_result/status", async () => {
    const since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "change_availability", args: { connector_id: 1, type: "Inoperative" } });
    const call = await cp.nextCall("ChangeAvailability");
    expect(call[3]).toEqual({ connectorId: 1, type: "Inoperative" });
    expect(String(call[1])).toMatch(/^[0-9a-f-]{36}$/);
    cp.answer(call, { status: "Accepted" });
    await probe.wait(`${B}/cmd_result/status`, (m) => m.text === "Accepted", 5000, since);
    const doc = await probe.waitJson<{ transaction?: string; id?: string | number; action: string; status: string; result: Record<string, unknown> }>(`${B}/cmd_response`, () => true, 5000, since);
    expect(doc).toEqual({ action: "change_availability", status: "ok", result: { status: "Accepted" } });
  });

  test("TV18 remote start and stop", async () => {
    let since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "remote_start_transaction", args: { connector_id: 1, id_tag: "johnny-car" } });
    const c1 = await cp.nextCall("RemoteStartTransaction");
    expect(c1[3]).toEqual({ connectorId: 1, idTag: "johnny-car" });
    cp.answer(c1, { status: "Accepted" });
    await probe.wait(`${B}/cmd_result/status`, (m) => m.text === "Accepted", 5000, since);
    since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "remote_stop_transaction", args: { transaction_id: 1 } });
    const c2 = await cp.nextCall("RemoteStopTransaction");
    expect(c2[3]).toEqual({ transactionId: 1 });
    cp.answer(c2, { status: "Rejected" });
    await probe.wait(`${B}/cmd_result/status`, (m) => m.text === "Rejected", 5000, since);
  });

  test("TV19 set_charging_profile nested snake_case → camelCase", async () => {
    const since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "set_charging_profile", args: { connector_id: 1, cs_charging_profiles: { charging_profile_id: 8, stack_level: 2, charging_profile_purpose: "TxDefaultProfile", charging_profile_kind: "Relative", charging_schedule: { charging_rate_unit: "A", charging_schedule_period: [{ start_period: 0, limit: 20 }] } } } });
    const c = await cp.nextCall("SetChargingProfile");
    expect(c[3]).toEqual({ connectorId: 1, csChargingProfiles: { chargingProfileId: 8, stackLevel: 2, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Relative", chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 20 }] } } });
    cp.answer(c, { status: "Accepted" });
    await probe.wait(`${B}/cmd_result/status`, (m) => m.text === "Accepted", 5000, since);
  });

  test("TV20 results with extra fields; objects as JSON (F7)", async () => {
    let since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "get_local_version", args: {} });
    const c1 = await cp.nextCall("GetLocalListVersion");
    expect(c1[3]).toEqual({});
    cp.answer(c1, { listVersion: 3 });
    await probe.wait(`${B}/cmd_result/list_version`, (m) => m.text === "3", 5000, since);
    since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "data_transfer", args: { vendor_id: "com.example", message_id: "ping", data: "x" } });
    const c2 = await cp.nextCall("DataTransfer");
    expect(c2[3]).toEqual({ vendorId: "com.example", messageId: "ping", data: "x" });
    cp.answer(c2, { status: "Accepted", data: "pong" });
    await probe.wait(`${B}/cmd_result/data`, (m) => m.text === "pong", 5000, since);
    since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "get_composite_schedule", args: { connector_id: 1, duration: 3600 } });
    const c3 = await cp.nextCall("GetCompositeSchedule");
    cp.answer(c3, { status: "Accepted", connectorId: 1, scheduleStart: "2026-01-27T10:00:00Z", chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 16.0 }] } });
    await probe.wait(`${B}/cmd_result/schedule_start`, (m) => m.text === "2026-01-27T10:00:00Z", 5000, since);
    await probe.wait(`${B}/cmd_result/charging_schedule`, (m) => JSON.parse(m.text).charging_schedule_period[0].limit === 16, 5000, since);
  });

  test("TV21 get_configuration result published as JSON (F7)", async () => {
    const since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "get_configuration", args: { key: ["HeartbeatInterval", "Foo"] } });
    const c = await cp.nextCall("GetConfiguration");
    expect(c[3]).toEqual({ key: ["HeartbeatInterval", "Foo"] });
    cp.answer(c, { configurationKey: [{ key: "HeartbeatInterval", readonly: false, value: "10" }], unknownKey: ["Foo"] });
    await probe.wait(`${B}/cmd_result/configuration_key`, (m) => m.text === '[{"key":"HeartbeatInterval","readonly":false,"value":"10"}]', 5000, since);
    await probe.wait(`${B}/cmd_result/unknown_key`, (m) => m.text === '["Foo"]', 5000, since);
  });

  test("TV22 command errors: bad args never sent, CALLERROR and unknown action reported", async () => {
    let since = probe.mark();
    const before = cp.received.length;
    await probe.publish(`${B}/cmd`, { action: "reset", args: { type: "soft" }, id: "r1" });
    await probe.wait(`${B}/cmd_result/error`, (m) => m.text.includes("type"), 5000, since);
    await probe.wait(`${B}/cmd_result/action`, (m) => m.text === "reset", 5000, since);
    const doc = await probe.waitJson<{ id?: string | number; status: string; error: { code: string } }>(`${B}/cmd_response`, (d) => d.id === "r1", 5000, since);
    expect(doc.status).toBe("error");
    expect(doc.error.code).toBe("FormationViolation");
    expect(cp.received.slice(before).some((m) => m[2] === "Reset")).toBe(false);

    since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "get_local_list_version", args: {}, id: 7 });
    cp.answer(await cp.nextCall("GetLocalListVersion"), { listVersion: 0 });
    await probe.waitJson(`${B}/cmd_response`, (d: { id?: number; status?: string }) => d.id === 7 && d.status === "ok", 5000, since);

    since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "reset", args: { type: "Soft" }, id: "r2" });
    const c = await cp.nextCall("Reset");
    cp.send([4, c[1], "NotImplemented", "nope", {}]);
    cp.answered.add(String(c[1]));
    const err = await probe.waitJson<{ transaction?: string; id?: string | number; error: { code: string; description: string } }>(`${B}/cmd_response`, (d) => d.id === "r2", 5000, since);
    expect(err.error.code).toBe("NotImplemented");

    since = probe.mark();
    await probe.publish(`${B}/cmd`, { action: "make_coffee", id: "u1" });
    const u = await probe.waitJson<{ transaction?: string; id?: string | number; error: { code: string } }>(`${B}/cmd_response`, (d) => d.id === "u1", 5000, since);
    expect(u.error.code).toBe("UnknownAction");
  });

  test("TV-A identity from the path or ?station=; TV-B subprotocols", async () => {
    const a = await RawCp.connect(bridge.url("/ocpp?station=QS1"), { protocols: ["ocpp2.0.1", "ocpp1.6"] });
    expect(a.ws.protocol).toBe("ocpp1.6");
    const b = await RawCp.connect(bridge.url("/ocpp/CP%3A001"), { protocols: [] });
    expect(b.ws.protocol).toBe("");
    await a.call("h", "Heartbeat", {});
    await b.call("h", "Heartbeat", {});
    expect(bridge.central.sessions().has("QS1")).toBe(true);
    expect(bridge.central.sessions().has("CP:001")).toBe(true);
    // Outside the OCPP 2.0.1 identifierString characters (here a space) the upgrade is refused.
    await expect(RawCp.connect(bridge.url("/ocpp/CP%20001"))).rejects.toThrow("HTTP 400");
    await expect(RawCp.connect(bridge.url("/ocpp/X"), { protocols: ["ocpp2.0.1"] })).rejects.toThrow("HTTP 400");
    a.close();
    b.close();
  });

  test("TV23 disconnect: DISCONNECTED, reason, zeroing, heartbeat OFF (F9)", async () => {
    const since = probe.mark();
    cp.close();
    await expectState(since, { connection_state: "DISCONNECTED", last_disconnected: NOW, disconnect_reason: "connection_closed_1000", power_active_import: "0", current_import: "0", heartbeat: "OFF" });
  });
});
