// Simulated charge points ⇄ bridge ⇄ real broker ⇄ test client: both layouts, every CS command.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { NormalizedState } from "../../../lib/normalized.ts";
import { silentLogger } from "../../../lib/log.ts";
import { SimulatedChargePoint } from "../../../protocols/ocpp/sim/charge-point.ts";
import { startBroker, type TestBroker } from "../../support/broker.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { type OcppBridge, startOcpp } from "./helpers.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

let broker: TestBroker;
let bridge: OcppBridge;
let probe: MqttProbe;
const sims: SimulatedChargePoint[] = [];
const IDS = ["SIM1", "SIM2", "SIM3"];

function sim(id: string): SimulatedChargePoint {
  return sims[IDS.indexOf(id)]!;
}

beforeAll(async () => {
  broker = await startBroker();
  bridge = await startOcpp(broker.url, { heartbeat_interval_s: 1, switch_min_interval_s: 1.5 });
  probe = await MqttProbe.connect(broker.url, [`${bridge.base}/#`, "ocpp/#"]);
  for (const id of IDS) {
    const s = new SimulatedChargePoint({ url: bridge.url(`/ocpp/${id}`), identity: id, meterIntervalMs: 60_000, log: silentLogger });
    await s.start();
    sims.push(s);
  }
});

afterAll(async () => {
  for (const s of sims) s.stop();
  await bridge?.stop();
  await probe?.close();
  await broker?.dispose();
});

const state = (id: string, pred: (s: NormalizedState) => boolean, since = 0) => probe.waitJson<NormalizedState>(`${bridge.base}/${id}`, pred, 5000, since);

describe("OCPP end to end with simulated charge points", () => {
  test("several charge points behind one IP appear with distinct identities in both layouts", async () => {
    for (const id of IDS) {
      const s = await state(id, (x) => x.status === "available");
      expect(s.protocol).toBe("ocpp");
      expect(s.enabled).toBe(true);
      await probe.wait(`${bridge.base}/${id}/availability`, (m) => m.text === "online");
      await probe.wait(`ocpp/${id}/state/charge_point_model`, (m) => m.text === "SimCP");
      await probe.wait(`ocpp/${id}/state/connection_state`, (m) => m.text === "CONNECTED");
    }
    // Heartbeat interval 1 s from the BootNotification reply.
    await probe.wait("ocpp/SIM1/state/heartbeat", (m) => m.text === "ON", 3000);
    expect(sim("SIM1").bootInterval).toBe(1);
  });

  test("authorize → start → meter values → stop, with units converted in the normalized layout", async () => {
    let since = probe.mark();
    await probe.publish("ocpp/SIM2/cmd", { action: "charging_enabled", args: true });
    await probe.wait("ocpp/SIM2/state/charging_enabled", (m) => m.text === "ON", 5000, since);
    since = probe.mark();
    const tx = await sim("SIM2").plugIn(1, "SIMTAG");
    expect(tx).toBeGreaterThan(0);
    await probe.wait("ocpp/SIM2/state/authorize", (m) => m.text === "Invalid", 5000, since); // tag not in authorized_tags
    await probe.wait("ocpp/SIM2/state/transaction_id", (m) => m.text === String(tx), 5000, since);
    await state("SIM2", (x) => x.status === "charging", since);
    since = probe.mark();
    await sim("SIM2").sendMeterValues(1, 3600);
    const s = await state("SIM2", (x) => x.power_w !== null && x.power_w > 0, since);
    expect(s.current_a).toEqual([16, 16, 16]);
    expect(s.voltage_v).toEqual([230.1, 229.8, 231.2]);
    expect(s.power_w).toBeCloseTo(16 * (230.1 + 229.8 + 231.2), 0);
    // 1 h at that power on top of the 10 kWh register, reported in kWh, published in Wh.
    expect(s.energy_total_wh).toBeCloseTo(10_000 + 16 * (230.1 + 229.8 + 231.2), -1);
    expect(s.energy_session_wh).toBeCloseTo(16 * (230.1 + 229.8 + 231.2), -1);
    await probe.wait("ocpp/SIM2/state/current_import_l2", (m) => m.text === "16.0", 5000, since);
    await probe.wait("ocpp/SIM2/state/voltage_l1_n", (m) => m.text === "230.1", 5000, since);
    since = probe.mark();
    await sim("SIM2").unplug(1);
    await probe.wait("ocpp/SIM2/state/meter_stop_reason", (m) => m.text === "EVDisconnected", 5000, since);
    const after = await state("SIM2", (x) => x.status === "available", since);
    expect(after.power_w).toBe(0);
    // Other chargers were not touched.
    expect(probe.messages.some((m) => m.seq >= since && m.topic.startsWith("ocpp/SIM1/state/meter_stop"))).toBe(false);
  });

  test("normalized /set: enabled via ChangeAvailability, current_limit_a via SetChargingProfile", async () => {
    let since = probe.mark();
    await probe.publish(`${bridge.base}/SIM3/set`, { transaction: "s1", current_limit_a: 10 });
    const r1 = await probe.waitJson<{ status: string; transaction?: string }>(`${bridge.base}/SIM3/response`, (r) => r.transaction === "s1", 5000, since);
    expect(r1.status).toBe("ok");
    expect(sim("SIM3").current()).toBe(10);
    await state("SIM3", (x) => x.current_limit_a === 10, since);
    since = probe.mark();
    await probe.publish(`${bridge.base}/SIM3/set`, { transaction: "s2", enabled: false });
    await probe.waitJson(`${bridge.base}/SIM3/response`, (r: { transaction?: string; status?: string }) => r.transaction === "s2" && r.status === "ok", 5000, since);
    expect(sim("SIM3").current()).toBe(0);
    await state("SIM3", (x) => x.enabled === false && x.status === "disabled", since);
    // Flipping back at once is refused (switch_min_interval_s), with the wait in the reason.
    await probe.publish(`${bridge.base}/SIM3/set`, { transaction: "s2b", enabled: true });
    const refused = await probe.waitJson<{ transaction?: string; status: string; error: string }>(`${bridge.base}/SIM3/response`, (r: { transaction?: string }) => r.transaction === "s2b", 5000, since);
    expect(refused.status).toBe("error");
    expect(refused.error).toMatch(/enabling refused: the last on\/off switch was/);
    expect(sim("SIM3").current()).toBe(0);
    await new Promise((r) => setTimeout(r, 1600));
    since = probe.mark();
    await probe.publish(`${bridge.base}/SIM3/set`, { transaction: "s3", enabled: true });
    await state("SIM3", (x) => x.enabled === true && x.status === "available", since);
    expect(sim("SIM3").current()).toBe(10);
    // Above max_current_a (default 32) the limit is clamped before it reaches the charger.
    since = probe.mark();
    await probe.publish(`${bridge.base}/SIM3/set`, { transaction: "s4", current_limit_a: 80 });
    const r4 = await probe.waitJson<{ transaction?: string; status: string; data: { current_limit_a: number; clamped_from: number } }>(`${bridge.base}/SIM3/response`, (r: { transaction?: string }) => r.transaction === "s4", 5000, since);
    expect(r4.data).toMatchObject({ current_limit_a: 32, clamped_from: 80 });
    await state("SIM3", (x) => x.current_limit_a === 32, since);
  });

  test("normalized /request: every 1.6 action, PascalCase or snake_case, transaction echoed", async () => {
    let since = probe.mark();
    await probe.publish(`${bridge.base}/SIM1/request`, { transaction: "q1", action: "GetConfiguration", args: { key: ["HeartbeatInterval", "Nope"] } });
    const r = await probe.waitJson<{ transaction?: string; id?: string | number; status: string; data: { configurationKey: unknown[]; unknownKey: string[] } }>(`${bridge.base}/SIM1/response`, (x) => x.transaction === "q1", 5000, since);
    expect(r.status).toBe("ok");
    expect(r.data.unknownKey).toEqual(["Nope"]);
    expect(r.data.configurationKey).toEqual([{ key: "HeartbeatInterval", readonly: false, value: "60" }]);
    since = probe.mark();
    await probe.publish(`${bridge.base}/SIM1/request`, { transaction: "q2", action: "change_configuration", args: { key: "Bogus", value: "1" } });
    const r2 = await probe.waitJson<{ transaction?: string; id?: string | number; data: { status: string } }>(`${bridge.base}/SIM1/response`, (x) => x.transaction === "q2", 5000, since);
    expect(r2.data.status).toBe("NotSupported");
    since = probe.mark();
    await probe.publish(`${bridge.base}/SIM1/request`, { transaction: "q3", action: "Reset", args: { type: "soft" } });
    const r3 = await probe.waitJson<{ transaction?: string; id?: string | number; status: string; error: string }>(`${bridge.base}/SIM1/response`, (x) => x.transaction === "q3", 5000, since);
    expect(r3.status).toBe("error");
    expect(r3.error).toContain("type");
    since = probe.mark();
    await probe.publish(`${bridge.base}/SIM1/request`, { transaction: "q4", action: "Teleport", args: {} });
    const r4 = await probe.waitJson<{ transaction?: string; id?: string | number; status: string; error: string }>(`${bridge.base}/SIM1/response`, (x) => x.transaction === "q4", 5000, since);
    expect(r4.error).toContain("unknown OCPP 1.6 action");
  });

  test("every CS-initiated 1.6 action is reachable from the compat cmd topic", async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    const commands: [string, unknown, (r: Record<string, unknown>) => boolean][] = [
      ["remote_start_transaction", { connector_id: 1, id_tag: "johnny-car" }, (r) => r.status === "Accepted"],
      ["remote_stop_transaction", { transaction_id: 999_999 }, (r) => r.status === "Rejected"],
      ["change_availability", { connector_id: 0, type: "Operative" }, (r) => r.status === "Accepted"],
      ["change_configuration", { key: "HeartbeatInterval", value: "30" }, (r) => r.status === "Accepted"],
      ["get_configuration", {}, (r) => Array.isArray(r.configuration_key)],
      ["reset", { type: "Soft" }, (r) => r.status === "Accepted"],
      ["unlock_connector", { connector_id: 1 }, (r) => r.status === "Unlocked"],
      ["trigger_message", { requested_message: "Heartbeat" }, (r) => r.status === "Accepted"],
      ["set_charging_profile", { connector_id: 1, cs_charging_profiles: { charging_profile_id: 8, stack_level: 2, charging_profile_purpose: "TxDefaultProfile", charging_profile_kind: "Relative", charging_schedule: { charging_rate_unit: "A", charging_schedule_period: [{ start_period: 0, limit: 12.5 }] } } }, (r) => r.status === "Accepted"],
      ["get_composite_schedule", { connector_id: 1, duration: 60 }, (r) => r.status === "Accepted" && r.connector_id === 1],
      ["clear_charging_profile", {}, (r) => r.status === "Accepted"],
      ["clear_cache", undefined, (r) => r.status === "Accepted"],
      ["data_transfer", { vendor_id: "com.example", message_id: "ping" }, (r) => r.data === "pong"],
      ["reserve_now", { connector_id: 1, expiry_date: future, id_tag: "johnny-car", reservation_id: 4 }, (r) => r.status === "Accepted"],
      ["cancel_reservation", { reservation_id: 4 }, (r) => r.status === "Accepted"],
      ["send_local_list", { list_version: 5, update_type: "Full", local_authorization_list: [{ id_tag: "a", id_tag_info: { status: "Accepted" } }] }, (r) => r.status === "Accepted"],
      ["get_local_version", {}, (r) => r.list_version === 5],
      ["update_firmware", { location: "http://example.invalid/fw.bin", retrieve_date: future }, (r) => Object.keys(r).length === 0],
      ["get_diagnostics", { location: "ftp://example.invalid/" }, (r) => r.file_name === "diagnostics.log"],
    ];
    for (const [action, args, check] of commands) {
      const since = probe.mark();
      await probe.publish("ocpp/SIM1/cmd", args === undefined ? { action, id: action } : { action, args, id: action });
      const doc = await probe.waitJson<{ transaction?: string; id?: string | number; status: string; result: Record<string, unknown> }>("ocpp/SIM1/cmd_response", (d) => d.id === action, 5000, since);
      expect({ action, status: doc.status }).toEqual({ action, status: "ok" });
      expect({ action, ok: check(doc.result) }).toEqual({ action, ok: true });
    }
    // Their side effects came back as charger messages.
    await probe.wait("ocpp/SIM1/state/firmware_status", (m) => m.text === "Installed");
    await probe.wait("ocpp/SIM1/state/diagnostics_status", (m) => m.text === "Uploaded");
    // clear_charging_profile removed the 12.5 A profile again: back to the 16 A hardware limit.
    expect(sim("SIM1").current()).toBe(16);
  });

  test("a charger with two connectors: <id> for the charger, <id>_2 for the second connector", async () => {
    const dual = new SimulatedChargePoint({ url: bridge.url("/ocpp/DUAL"), identity: "DUAL", connectors: 2, meterIntervalMs: 60_000, log: silentLogger });
    try {
      let since = probe.mark();
      await dual.start();
      await state("DUAL_2", (x) => x.status === "available", since);
      await state("DUAL", (x) => x.status === "available", since);
      since = probe.mark();
      await dual.plugIn(2);
      await state("DUAL_2", (x) => x.status === "charging", since);
      await probe.publish(`${bridge.base}/DUAL_2/set`, { transaction: "d2", current_limit_a: 6 });
      await probe.waitJson(`${bridge.base}/DUAL_2/response`, (r: { transaction?: string; status?: string }) => r.transaction === "d2" && r.status === "ok", 5000, since);
      expect(dual.current(2)).toBe(6);
      expect(dual.current(1)).toBe(16);
      expect(probe.messages.some((m) => m.seq >= since && m.topic === `${bridge.base}/DUAL` && JSON.parse(m.text).status === "charging")).toBe(false);
    } finally {
      dual.stop();
    }
  });

  test("commands for an unknown or offline charger are answered with an error at once", async () => {
    let since = probe.mark();
    await probe.publish("ocpp/NOPE/cmd", { action: "clear_cache", id: "n1" });
    const d = await probe.waitJson<{ transaction?: string; id?: string | number; status: string; error: { description: string } }>("ocpp/NOPE/cmd_response", (x) => x.id === "n1", 5000, since);
    expect(d.status).toBe("error");
    expect(d.error.description).toContain("not connected");
    await probe.wait("ocpp/NOPE/cmd_result/status", (m) => m.text === "error", 5000, since);
    since = probe.mark();
    sim("SIM3").stop();
    await state("SIM3", (x) => x.status === "offline", since);
    await probe.wait("ocpp/SIM3/state/connection_state", (m) => m.text === "DISCONNECTED", 5000, since);
    await probe.publish(`${bridge.base}/SIM3/set`, { transaction: "off", enabled: true });
    const r = await probe.waitJson<{ transaction?: string; id?: string | number; status: string; error: string }>(`${bridge.base}/SIM3/response`, (x) => x.transaction === "off", 5000, since);
    expect(r.error).toContain("offline");
  });
});
