// Commands end to end: /set and /request actions through real MQTT and UDP to the simulator.

import { expect, test } from "bun:test";
import type { ChargeStart } from "../../../protocols/evsemaster/app-payloads.ts";
import { emToDate } from "../../../protocols/evsemaster/emtime.ts";
import type { SimCharger } from "../../../protocols/evsemaster/sim/charger.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { E2E_TIMEOUT_MS, rig, TZ } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";

function lastStart(sim: SimCharger): ChargeStart {
  const m = sim.received.filter((x) => x.message.type === "chargeStart").at(-1)?.message;
  if (m?.type !== "chargeStart") throw new Error("no ChargeStart received");
  return m.start;
}

test("charge start with every parameter, then stop (three-phase unit, forced single phase)", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "bs20" });
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const res = await r.request(S1, "charge_start", { max_amps: 40, max_duration_minutes: 90, max_energy_kwh: 7.5, single_phase: true, user_id: "tester", charge_id: "ABC123" });
    expect(res).toMatchObject({ status: "ok", data: { reserved: false, max_amps: 16, clamped_from: 40, line_id: 1, single_phase: true, user_id: "tester", charge_id: "ABC123", max_duration_minutes: 90, max_energy_kwh: 7.5 } });
    const s = lastStart(r.sims[0]!);
    expect(s).toMatchObject({ lineId: 1, chargeType: 11, userId: "tester", chargeId: "ABC123", isReservation: false, maxDurationMin: 90, maxEnergyKwh: 7.5, param3: 0xffff, maxCurrentA: 16 });
    expect(Math.abs(emToDate(s.startTime, TZ)!.getTime() - Date.now())).toBeLessThan(5000);
    const st = await r.state(S1, (x) => x.status === "charging" && (x.power_w as number) > 0);
    expect(st.enabled).toBe(true);
    const d = await r.detail(S1, (x) => (x.session as Record<string, unknown> | null)?.charge_id === "ABC123");
    expect(d.session).toMatchObject({ state_name: "charging", user_id: "tester", max_current_a: 16, max_duration_minutes: 90, max_energy_kwh: 7.5 });
    const stop = await r.request(S1, "charge_stop", { user_id: "tester" });
    expect(stop).toMatchObject({ status: "ok", data: { stopped: true } });
    expect(r.sims[0]!.received.some((x) => x.message.type === "chargeStop" && x.message.stop.userId === "tester")).toBe(true);
    await r.state(S1, (x) => x.status === "connected" && x.enabled === false);
    // The finished session's 0x0009 record is acknowledged and published.
    const rec = await r.detail(S1, (x) => (x.last_record as Record<string, unknown> | null)?.charge_id === "ABC123");
    expect(rec.last_record).toMatchObject({ start_user_id: "tester", end_user_id: "tester", stop_reason_name: "app" });
    expect(r.sims[0]!.received.some((x) => x.message.type === "recordAck" && x.message.ack.chargeId === "ABC123")).toBe(true);
    // A plain start on a three-phase unit uses all phases: lineId 2 (§8).
    const plain = await r.request(S1, "charge_start", { max_amps: 10 });
    expect(plain).toMatchObject({ status: "ok", data: { line_id: 2, max_amps: 10 } });
    expect((plain.data as Record<string, unknown>).clamped_from).toBeUndefined();
    // Below 6 A is refused, never raised to 6 A (raising a current beyond the request is unsafe).
    const starts = r.sims[0]!.received.filter((x) => x.message.type === "chargeStart").length;
    const low = await r.request(S1, "charge_start", { max_amps: 3 });
    expect(low).toMatchObject({ status: "error" });
    expect(low.error).toContain("below the minimum 6 A");
    expect(r.sims[0]!.received.filter((x) => x.message.type === "chargeStart")).toHaveLength(starts);
    expect(lastStart(r.sims[0]!)).toMatchObject({ lineId: 2, chargeType: 1, userId: "evse2mqtt", maxDurationMin: null, maxEnergyKwh: null });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("scheduled start, cancel; too far ahead and car not plugged in are refused precisely", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const at = new Date(Date.now() + 3600_000);
    at.setMilliseconds(0);
    const res = await r.request(S1, "charge_start", { start_at: at.toISOString(), max_amps: 8, max_duration_minutes: 90 });
    // The Telestar honours whole hours only (§8): 90 min becomes 2 h.
    expect(res).toMatchObject({ status: "ok", data: { reserved: true, start_at: at.toISOString(), max_amps: 8, line_id: 1, max_duration_minutes: 120, reservation_result: "reservation accepted" } });
    const s = lastStart(r.sims[0]!);
    expect(s.isReservation).toBe(true);
    expect(emToDate(s.startTime, TZ)!.toISOString()).toBe(at.toISOString());
    const d = await r.detail(S1, (x) => (x.session as Record<string, unknown> | null)?.state === 20);
    expect(d.session).toMatchObject({ state_name: "reserved", reservation_at: at.toISOString() });
    expect((await r.state(S1, (x) => x.enabled === true)).status).toBe("connected");
    expect(await r.request(S1, "charge_stop")).toMatchObject({ status: "ok" });
    await r.state(S1, (x) => x.enabled === false);
    const far = await r.request(S1, "charge_start", { start_at: new Date(Date.now() + 25 * 3600_000).toISOString() });
    expect(far).toMatchObject({ status: "error" });
    expect(far.error).toContain("too far ahead");
    // A start_at well in the past is a mistake, not "start now".
    const past = await r.request(S1, "charge_start", { start_at: new Date(Date.now() - 10 * 60_000).toISOString() });
    expect(past).toMatchObject({ status: "error" });
    expect(past.error).toContain("in the past");
    expect(r.sims[0]!.received.filter((x) => x.message.type === "chargeStart")).toHaveLength(1);
    r.sims[0]!.state.plugged = false;
    await r.state(S1, (x) => x.status === "available");
    expect(await r.request(S1, "charge_start")).toMatchObject({ status: "error", error: "car not plugged in" });
    const badArgs = await r.request(S1, "charge_start", { max_amps: "lots" });
    expect(badArgs.status).toBe("error");
    expect(badArgs.error).toContain("max_amps");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("every config set, current_limit_a via /set, fetch_config", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true && (x.config as Record<string, unknown>).fetched_at !== null);
    expect(await r.request(S1, "set_name", { name: "Garage" })).toMatchObject({ status: "ok", data: { name: "Garage" } });
    expect(await r.request(S1, "set_language", { language: "german" })).toMatchObject({ status: "ok", data: { language: "german" } });
    expect(await r.request(S1, "set_temperature_unit", { unit: "fahrenheit" })).toMatchObject({ status: "ok", data: { temperature_unit: "fahrenheit" } });
    expect(await r.request(S1, "set_offline_charge", { enabled: false })).toMatchObject({ status: "ok", data: { offline_charge: false } });
    expect(await r.request(S1, "set_max_current", { amps: 20 })).toMatchObject({ status: "ok", data: { max_current_a: 20 } });
    const range = await r.request(S1, "set_max_current", { amps: 40 });
    expect(range).toMatchObject({ status: "error" });
    expect(range.error).toContain("out of range");
    const low = await r.set(S1, { current_limit_a: 3 });
    expect(low).toMatchObject({ status: "error" });
    expect(low.error).toContain("below the minimum 6 A; use enabled:false to stop charging");
    expect(r.sims[0]!.state.maxCurrentA).toBe(20);
    expect(await r.set(S1, { current_limit_a: 40 })).toMatchObject({ status: "ok", data: { current_limit: { max_current_a: 32, clamped_from: 40 } } });
    expect(await r.set(S1, { current_limit_a: 6 })).toMatchObject({ status: "ok", data: { current_limit: { max_current_a: 6 } } });
    await r.state(S1, (x) => x.current_limit_a === 6);
    const sim = r.sims[0]!.state;
    expect([sim.name, sim.language, sim.temperatureUnit, sim.offlineCharge, sim.maxCurrentA]).toEqual(["Garage", 3, 2, 1, 6]);
    const f = await r.request(S1, "fetch_config");
    expect(f).toMatchObject({ status: "ok", data: { missing: [], config: { name: "Garage", language: "german", temperature_unit: "fahrenheit", offline_charge: false, max_current_a: 6 } } });
    expect(await r.request(S1, "reboot")).toMatchObject({ status: "error" });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("/set enabled starts and stops; start/stop inside the cooldown is refused", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true, cooldown_s: 30 }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true && (x.config as Record<string, unknown>).fetched_at !== null);
    const on = await r.set(S1, { enabled: true });
    expect(on).toMatchObject({ status: "ok", data: { enabled: { reserved: false, max_amps: 16 } } });
    await r.state(S1, (x) => x.status === "charging");
    const off = await r.set(S1, { enabled: false });
    expect(off.status).toBe("error");
    expect(off.error).toMatch(/rate limited: charge (start|stop) refused: .* next allowed in (29|30) s/);
    const stop = await r.request(S1, "charge_stop");
    expect(stop.error).toContain("rate limited");
    expect(r.sims[0]!.state.charging).toBe(true);
    expect(r.sims[0]!.received.filter((x) => x.message.type === "chargeStop")).toHaveLength(0);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a GET answer arriving while a SET waits does not answer the SET", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true && (x.config as Record<string, unknown>).fetched_at !== null);
    r.sims[0]!.getEchoBeforeSet = true;
    expect(await r.request(S1, "set_max_current", { amps: 20 })).toMatchObject({ status: "ok", data: { max_current_a: 20 } });
    expect(await r.set(S1, { current_limit_a: 12 })).toMatchObject({ status: "ok", data: { current_limit: { max_current_a: 12 } } });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("/set never answers from a stale status: offline, refused login and lost sessions are errors, not \"already\"", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456" }], relogin_min_s: 5 }, { model: "telestar" });
  try {
    await r.state(S1, (x) => x.status === "connected" && x.enabled === false);
    const sim = r.sims[0]!;
    // Session taken by another app: the bridge backs off for 5 s without a session.
    sim.kick();
    expect((await r.detail(S1, (x) => x.logged_in === false)).state).toBeNull();
    const lost = await r.set(S1, { enabled: false });
    expect(lost).toMatchObject({ status: "error" });
    expect(lost.error).toContain("not logged in");
    sim.silent = true;
    const off = await r.detail(S1, (x) => x.meta_state === "OFFLINE");
    // The last status is forgotten with the session.
    expect(off.state).toBeNull();
    const offline = await r.set(S1, { enabled: false });
    expect(offline).toMatchObject({ status: "error" });
    expect(offline.error).toContain("offline");
    // Back, but the PIN was changed in the OEM app meanwhile (and a car may be charging by card).
    sim.opts.password = "999999";
    await until(() => !sim.loggedIn, "the simulator drops the silent session", 5000);
    sim.silent = false;
    await r.detail(S1, (x) => x.login_error === "wrong password");
    for (const enabled of [false, true]) {
      const res = await r.set(S1, { enabled });
      expect(res).toMatchObject({ status: "error" });
      expect(res.error).toContain("wrong password");
    }
    expect(sim.received.filter((x) => x.message.type === "chargeStart" || x.message.type === "chargeStop")).toEqual([]);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
