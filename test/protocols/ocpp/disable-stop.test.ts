// `enabled: false` during a running transaction really stops the energy: simulated and scripted
// charge points ⇄ bridge ⇄ real Mosquitto. ChangeAvailability is only Scheduled then (1.6), so the
// bridge adds a 0 A TxProfile and falls back to RemoteStopTransaction.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { silentLogger } from "../../../lib/log.ts";
import type { NormalizedState } from "../../../lib/normalized.ts";
import { SimulatedChargePoint } from "../../../protocols/ocpp/sim/charge-point.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { type OcppBridge, RawCp, sleep, startOcpp } from "./helpers.ts";

setDefaultTimeout(30_000);

const shared = brokerForFile({ probe: ["#"] });

type Reply = { transaction?: string; status: string; error?: string; data?: Record<string, unknown> };

function helpers(bridge: OcppBridge, id: string) {
  const probe = shared.probe;
  return {
    response: (t: string, since: number, ms = 8000) => probe.waitJson<Reply>(`${bridge.base}/${id}/response`, (x) => x.transaction === t, ms, since),
    state: (pred: (s: NormalizedState) => boolean, since: number, ms = 8000) => probe.waitJson<NormalizedState>(`${bridge.base}/${id}`, pred, ms, since),
    states: (since: number) => probe.messages.filter((m) => m.seq >= since && m.topic === `${bridge.base}/${id}`).map((m) => JSON.parse(m.text) as NormalizedState),
    set: (body: Record<string, unknown>) => probe.publish(`${bridge.base}/${id}/set`, body),
  };
}

async function charging(bridge: OcppBridge, id: string, opts: { ignoreProfiles?: boolean } = {}): Promise<{ sim: SimulatedChargePoint; tx: number }> {
  const sim = new SimulatedChargePoint({ url: bridge.url(`/ocpp/${id}`), identity: id, meterIntervalMs: 60_000, ignoreProfiles: opts.ignoreProfiles ?? false, log: silentLogger });
  await sim.start();
  const since = shared.probe.mark();
  const tx = await sim.plugIn(1);
  await sim.sendMeterValues(1, 60);
  await helpers(bridge, id).state((s) => s.status === "charging" && (s.power_w ?? 0) > 10_000 && s.enabled === true, since);
  return { sim, tx };
}

const calls = (sim: SimulatedChargePoint, action: string) => sim.received.filter((c) => c.action === action);

describe("OCPP: enabled false stops the energy of a running transaction", () => {
  test("a 1.6 charger: Scheduled + 0 A TxProfile → SuspendedEVSE, 0 W; enabled follows the charger; enabling resumes", async () => {
    const bridge = await startOcpp(shared.url, { stop_verify_s: 5, switch_min_interval_s: 1.5 });
    const { response, state, states, set } = helpers(bridge, "H1");
    const { sim, tx } = await charging(bridge, "H1");
    try {
      let since = shared.probe.mark();
      await set({ transaction: "off", enabled: false });
      const r = await response("off", since);
      expect(r.status).toBe("ok");
      expect(r.data).toMatchObject({ enabled: "Scheduled", stop: "profile_0A", transaction_id: tx, connector: 1, steps: ["TxProfile 0 A Accepted"] });
      expect(r.data?.took_s as number).toBeLessThan(5);
      // The profile named the transaction and 0 A, in its own id one stack level above current_limit_a's.
      const [profile] = calls(sim, "SetChargingProfile");
      expect(profile?.payload).toMatchObject({
        connectorId: 1,
        csChargingProfiles: { chargingProfileId: 11, transactionId: tx, stackLevel: 2, chargingProfilePurpose: "TxProfile", chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 0 }] } },
      });
      expect(calls(sim, "RemoteStopTransaction")).toHaveLength(0);
      expect(sim.connectors[1]?.transactionId).toBe(tx);
      expect(sim.current(1)).toBe(0);
      await state((s) => s.status === "suspended" && s.enabled === false, since);
      await sim.sendMeterValues(1, 60);
      const zero = await state((s) => s.power_w === 0 && s.current_a.every((a) => a === 0), since);
      expect(zero.current_a).toEqual([0, 0, 0]);
      expect(zero.enabled).toBe(false);
      // Never "false" while the charger still said Charging.
      expect(states(since).filter((s) => s.enabled === false && s.status === "charging")).toEqual([]);
      // The next StatusNotification does not flip it back.
      since = shared.probe.mark();
      await sim.status(1, "SuspendedEVSE");
      await shared.probe.wait("ocpp/H1/state/status", (m) => m.text === "SuspendedEVSE", 5000, since);
      expect(bridge.hub.state("H1")?.enabled).toBe(false);
      expect(states(since).every((s) => s.enabled === false)).toBe(true);
      // The switch rate limit still applies to the way back.
      since = shared.probe.mark();
      await set({ transaction: "on-early", enabled: true });
      expect((await response("on-early", since)).error).toMatch(/enabling refused/);
      await sleep(1600);
      since = shared.probe.mark();
      await set({ transaction: "on", enabled: true });
      const on = await response("on", since);
      expect(on.data).toMatchObject({ enabled: "Accepted", resume: "ClearChargingProfile Accepted" });
      expect(calls(sim, "ClearChargingProfile").at(-1)?.payload).toEqual({ id: 11 });
      await state((s) => s.status === "charging" && s.enabled === true, since);
      expect(sim.current(1)).toBe(16);
    } finally {
      sim.stop();
      await bridge.stop();
    }
  });

  test("a stubborn charger ignoring the profile: RemoteStopTransaction at the deadline; repeated disables neither restart nor duplicate it", async () => {
    const verifyS = 2;
    const bridge = await startOcpp(shared.url, { stop_verify_s: verifyS, switch_min_interval_s: 30 });
    const { response, state, states, set } = helpers(bridge, "H2");
    const { sim, tx } = await charging(bridge, "H2", { ignoreProfiles: true });
    try {
      const since = shared.probe.mark();
      const t0 = Date.now();
      await set({ transaction: "d0", enabled: false });
      // An automation re-sending its wish every half second while the stop is under way.
      for (let i = 1; i <= 3; i++) {
        await sleep(500);
        await set({ transaction: `d${i}`, enabled: false });
      }
      // Same topic, so handled after d3: once its (validation) error is back, every repeat has been decided.
      await set({ transaction: "sentinel", current_limit_a: 3 });
      expect((await response("sentinel", since)).status).toBe("error");
      // 1.5 s in: the fresh reading asked for half way shows full power, and the state does not claim otherwise.
      expect(calls(sim, "TriggerMessage").map((c) => c.payload)).toEqual([{ requestedMessage: "MeterValues", connectorId: 1 }]);
      expect(calls(sim, "RemoteStopTransaction")).toHaveLength(0);
      expect(bridge.hub.state("H2")).toMatchObject({ status: "charging", enabled: true });
      expect(bridge.hub.state("H2")?.power_w).toBeGreaterThan(10_000);
      const replies = await Promise.all([0, 1, 2, 3].map((i) => response(`d${i}`, since)));
      expect(replies.map((x) => [x.status, x.data?.stop, x.data?.transaction_id])).toEqual([0, 1, 2, 3].map(() => ["ok", "remote_stop", tx]));
      expect(replies[0]?.data).toMatchObject({ enabled: "Scheduled", steps: ["TxProfile 0 A Accepted", "RemoteStopTransaction Accepted"] });
      expect(replies.slice(1).map((x) => x.data?.enabled)).toEqual(["joined", "joined", "joined"]);
      // One of each frame, and the fallback at the first deadline: a restarted one would be ≥ 1.5 s later.
      expect(calls(sim, "ChangeAvailability")).toHaveLength(1);
      expect(calls(sim, "SetChargingProfile")).toHaveLength(1);
      const stops = calls(sim, "RemoteStopTransaction");
      expect(stops.map((c) => c.payload)).toEqual([{ transactionId: tx }]);
      const after = (stops[0]?.at ?? 0) - t0;
      expect(after).toBeGreaterThanOrEqual(verifyS * 1000 - 100);
      expect(after).toBeLessThan(verifyS * 1000 + 1000);
      // Never "false" while power was reported.
      expect(states(since).filter((s) => s.enabled === false && (s.power_w ?? 0) > 100)).toEqual([]);
      // The transaction ended; the Scheduled Inoperative applied with it.
      expect(sim.connectors[1]?.transactionId).toBeUndefined();
      await shared.probe.wait(`ocpp/H2/state/meter_stop_reason`, (m) => m.text === "Remote", 5000, since);
      await state((s) => s.status === "disabled" && s.enabled === false && s.power_w === 0, since);
    } finally {
      sim.stop();
      await bridge.stop();
    }
  });

  test("a charger that refuses every way to stop: the reply is an error that says why, and enabled stays true", async () => {
    const bridge = await startOcpp(shared.url, { stop_verify_s: 1, switch_min_interval_s: 0 });
    const { response, state, states, set } = helpers(bridge, "H3");
    const cp = await RawCp.connect(bridge.url("/H3"));
    try {
      await cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
      const start = await cp.call("s", "StartTransaction", { connectorId: 1, idTag: "T", meterStart: 0, timestamp: new Date().toISOString() });
      const tx = (start[2] as { transactionId: number }).transactionId;
      let since = shared.probe.mark();
      await cp.call("c", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
      await state((s) => s.status === "charging" && s.enabled === true, since);
      await set({ transaction: "x1", enabled: false });
      cp.answer(await cp.nextCall("ChangeAvailability"), { status: "Scheduled" });
      cp.answer(await cp.nextCall("SetChargingProfile"), { status: "Rejected" });
      const rs = await cp.nextCall("RemoteStopTransaction");
      expect(rs[3]).toEqual({ transactionId: tx });
      cp.answer(rs, { status: "Rejected" });
      const r1 = await response("x1", since);
      expect(r1.status).toBe("error");
      expect(r1.error).toContain(`transaction ${tx}: the charger answered Rejected to the 0 A TxProfile, and RemoteStopTransaction was answered Rejected: energy may still flow`);
      // A second try is not rate-limited (nothing switched) and goes through the whole chain again:
      // this time the profile is accepted but nothing shows that it worked, and the stop is accepted but never happens.
      since = shared.probe.mark();
      await set({ transaction: "x2", enabled: false });
      cp.answer(await cp.nextCall("ChangeAvailability"), { status: "Scheduled" });
      cp.answer(await cp.nextCall("SetChargingProfile"), { status: "Accepted" });
      cp.answer(await cp.nextCall("TriggerMessage"), { status: "Accepted" });
      cp.answer(await cp.nextCall("RemoteStopTransaction", 3000), { status: "Accepted" });
      const r2 = await response("x2", since);
      expect(r2.error).toContain(`the charger accepted RemoteStopTransaction but transaction ${tx} had not ended 1 s later: energy may still flow`);
      // The charger still says Charging: so does the state, which never claimed otherwise.
      await cp.call("c2", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
      expect(bridge.hub.state("H3")).toMatchObject({ status: "charging", enabled: true });
      expect(states(since).filter((x) => x.enabled === false)).toEqual([]);
      // Enabling lifts the accepted (if ignored) 0 A profile.
      since = shared.probe.mark();
      await set({ transaction: "x3", enabled: true });
      cp.answer(await cp.nextCall("ChangeAvailability"), { status: "Accepted" });
      const clear = await cp.nextCall("ClearChargingProfile");
      expect(clear[3]).toEqual({ id: 11 });
      cp.answer(clear, { status: "Accepted" });
      expect((await response("x3", since)).data).toMatchObject({ enabled: "Accepted", resume: "ClearChargingProfile Accepted" });
      cp.close();
    } finally {
      await bridge.stop();
    }
  });
  test("a confirmed stop holds: power seen again under the 0 A profile escalates to RemoteStopTransaction", async () => {
    const bridge = await startOcpp(shared.url, { stop_verify_s: 5, switch_min_interval_s: 0 });
    const { response, state, set } = helpers(bridge, "H4");
    const cp = await RawCp.connect(bridge.url("/H4"));
    try {
      await cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
      const start = await cp.call("s", "StartTransaction", { connectorId: 1, idTag: "T", meterStart: 0, timestamp: new Date().toISOString() });
      const tx = (start[2] as { transactionId: number }).transactionId;
      await cp.call("c", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
      const meter = (id: string, kw: string) => cp.call(id, "MeterValues", { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: kw, measurand: "Power.Active.Import", unit: "kW" }] }] });
      let since = shared.probe.mark();
      await set({ transaction: "h1", enabled: false });
      cp.answer(await cp.nextCall("ChangeAvailability"), { status: "Scheduled" });
      cp.answer(await cp.nextCall("SetChargingProfile"), { status: "Accepted" });
      await cp.call("c1", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "SuspendedEVSE" });
      expect((await response("h1", since)).data).toMatchObject({ enabled: "Scheduled", stop: "profile_0A", transaction_id: tx });
      await state((x) => x.status === "suspended" && x.enabled === false, since);
      // The charger starts drawing again despite the profile.
      since = shared.probe.mark();
      await meter("m1", "11.0");
      const rs = await cp.nextCall("RemoteStopTransaction");
      expect(rs[3]).toEqual({ transactionId: tx });
      await state((x) => x.enabled === true && x.power_w === 11_000, since);
      // A disable arriving now joins the escalation and answers with its outcome.
      await set({ transaction: "h2", enabled: false });
      // Same topic, so handled after h2: once its (validation) error is back, h2 has joined.
      await set({ transaction: "h3", current_limit_a: 3 });
      expect((await response("h3", since)).error).toContain("below the minimum");
      cp.answer(rs, { status: "Accepted" });
      await cp.call("st", "StopTransaction", { transactionId: tx, meterStop: 100, timestamp: new Date().toISOString(), reason: "Remote" });
      expect((await response("h2", since)).data).toMatchObject({ enabled: "joined", stop: "remote_stop", transaction_id: tx });
      await state((x) => x.enabled === false && x.power_w === 0, since);
      expect(cp.received.filter((m) => m[0] === 2 && m[2] === "ChangeAvailability")).toHaveLength(1);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });
  test("disabling the whole charger stops every connector's transaction; the Scheduled Inoperative applies once all have ended", async () => {
    const bridge = await startOcpp(shared.url, { stop_verify_s: 5 });
    const sim = new SimulatedChargePoint({ url: bridge.url("/ocpp/H5"), identity: "H5", connectors: 2, meterIntervalMs: 60_000, log: silentLogger });
    const { response, state, set } = helpers(bridge, "H5");
    try {
      await sim.start();
      let since = shared.probe.mark();
      const tx1 = await sim.plugIn(1);
      const tx2 = await sim.plugIn(2);
      await state((s) => s.status === "charging", since);
      since = shared.probe.mark();
      await set({ transaction: "all", enabled: false });
      const r = await response("all", since);
      expect(r.data).toMatchObject({ enabled: "Scheduled", stop: "profile_0A" });
      expect((r.data?.stops as { connector: number; transaction_id: number; stop: string }[]).map((o) => [o.connector, o.transaction_id, o.stop])).toEqual([[1, tx1, "profile_0A"], [2, tx2, "profile_0A"]]);
      expect([sim.current(1), sim.current(2)]).toEqual([0, 0]);
      await state((s) => s.enabled === false && s.status === "suspended", since);
      await helpers(bridge, "H5_2").state((s) => s.enabled === false && s.status === "suspended", since);
      since = shared.probe.mark();
      await sim.unplug(1);
      await sim.unplug(2);
      await state((s) => s.status === "disabled" && s.enabled === false, since);
      expect(sim.connectors[0]?.operative).toBe(false);
    } finally {
      sim.stop();
      await bridge.stop();
    }
  });
});
