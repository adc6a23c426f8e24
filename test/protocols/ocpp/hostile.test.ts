// The OCPP items of the hostile-probe issue over real sockets and a real broker: raw commands pass
// the same ChargeGuard as /set, the bridge's own charging profiles stay, made-up identities cannot
// fill max_charge_points, reserved names and password guessing are refused, secrets stay out of logs.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { type OcppBridge, RawCp, startOcpp } from "./helpers.ts";

setDefaultTimeout(30_000);

const shared = brokerForFile({ probe: ["#"] });
const boot = (cp: RawCp, id = "b") => cp.call(id, "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
const basic = (user: string, pass: string) => ({ Authorization: "Basic " + btoa(`${user}:${pass}`) });
const REFUSED = /^(enabling|disabling|starting a transaction|stopping a transaction) refused: the last on\/off switch was \d+ s ago; next allowed in \d+ s \(minimum interval 30 s\)$/;

type Reply = { transaction?: string; status: string; error?: string; data?: Record<string, unknown> };
type CmdResponse = { id?: string; status: string; result?: Record<string, unknown>; error?: { code: string; description: string } };

function io(bridge: OcppBridge, id: string) {
  const probe = shared.probe;
  return {
    request: (transaction: string, action: string, args: Record<string, unknown>) => probe.publish(`${bridge.base}/${id}/request`, { transaction, action, args }),
    set: (transaction: string, body: Record<string, unknown>) => probe.publish(`${bridge.base}/${id}/set`, { transaction, ...body }),
    cmd: (cid: string, action: string, args: unknown) => probe.publish(`ocpp/${id}/cmd`, { action, args, id: cid }),
    response: (t: string, since: number) => probe.waitJson<Reply>(`${bridge.base}/${id}/response`, (x) => x.transaction === t, 8000, since),
    cmdResponse: (cid: string, since: number) => probe.waitJson<CmdResponse>(`ocpp/${id}/cmd_response`, (x) => x.id === cid, 8000, since),
    // The bridge's own publish for the charger has reached the broker, so its subscriptions made
    // earlier on the same connection have too: a command sent now cannot overtake them.
    online: () => probe.wait(`${bridge.base}/${id}/availability`, (m) => m.text === "online", 8000),
  };
}

const calls = (cp: RawCp, action: string) => cp.received.filter((m) => m[0] === 2 && m[2] === action);

describe("raw commands pass the charger's guard", () => {
  test("ChangeAvailability 40× through /request and compat cmd: one frame, the others refused as /set would be; a redundant one sends nothing and keeps the interval", async () => {
    const bridge = await startOcpp(shared.url, { switch_min_interval_s: 30 });
    const cp = await RawCp.connect(bridge.url("/RAW1"));
    const { request, set, cmd, response, cmdResponse, online } = io(bridge, "RAW1");
    try {
      await boot(cp);
      await online();
      await cp.call("s0", "StatusNotification", { connectorId: 0, errorCode: "NoError", status: "Available" });
      const since = shared.probe.mark();
      const flips = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? "Inoperative" : "Operative"));
      await Promise.all(flips.map((type, i) => (i < 20 ? request(`r${i}`, "ChangeAvailability", { connectorId: 0, type }) : cmd(`c${i}`, "change_availability", { connector_id: 0, type }))));
      const pending = flips.map((_, i) => (i < 20 ? response(`r${i}`, since).then((r) => r.error ?? "ok") : cmdResponse(`c${i}`, since).then((r) => r.error?.description ?? "ok")));
      const first = await cp.nextCall("ChangeAvailability");
      // The charger answers only once the other 39 have their replies: one answered later than
      // that would find the connector already Inoperative ("nothing sent", also ok), which is safe
      // but not what this test counts.
      let settled = 0;
      for (const p of pending) void p.then(() => settled++);
      await until(() => settled >= flips.length - 1, "39 of the 40 commands answered while the first is in flight");
      cp.answer(first, { status: "Accepted" });
      const replies = await Promise.all(pending);
      expect(replies.filter((r) => r === "ok")).toHaveLength(1);
      for (const r of replies.filter((x) => x !== "ok")) expect(r).toMatch(REFUSED);
      // /set is refused with the same sentence.
      await set("s1", { enabled: true });
      expect((await response("s1", since)).error).toMatch(REFUSED);
      expect(calls(cp, "ChangeAvailability")).toHaveLength(1);
      // Inoperative again: redundant, nothing sent, and the interval is not restarted.
      const guard = bridge.central.device("RAW1")?.control.guard(0);
      const waitBefore = guard?.limiter.waitMs() ?? -1;
      await request("again", "ChangeAvailability", { connectorId: 0, type: "Inoperative" });
      expect((await response("again", since)).data).toEqual({ status: "Accepted", note: "the charger is already Inoperative: nothing sent" });
      expect(guard?.limiter.waitMs() ?? Infinity).toBeLessThanOrEqual(waitBefore);
      expect(calls(cp, "ChangeAvailability")).toHaveLength(1);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("RemoteStartTransaction 20× and RemoteStopTransaction 20×: one start reaches the charger, the stops wait for the interval", async () => {
    const bridge = await startOcpp(shared.url, { switch_min_interval_s: 30 });
    const cp = await RawCp.connect(bridge.url("/RAW2"));
    const { request, cmd, response, cmdResponse, online } = io(bridge, "RAW2");
    try {
      await boot(cp);
      await online();
      let since = shared.probe.mark();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? request(`s${i}`, "RemoteStartTransaction", { connectorId: 1, idTag: "T" }) : cmd(`s${i}`, "remote_start_transaction", { connector_id: 1, id_tag: "T" }))));
      cp.answer(await cp.nextCall("RemoteStartTransaction"), { status: "Accepted" });
      const starts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? response(`s${i}`, since).then((r) => r.error ?? "ok") : cmdResponse(`s${i}`, since).then((r) => r.error?.description ?? "ok"))));
      expect(starts.filter((r) => r === "ok")).toHaveLength(1);
      for (const r of starts.filter((x) => x !== "ok")) expect(r).toMatch(/^starting a transaction refused/);
      const tx = ((await cp.call("t", "StartTransaction", { connectorId: 1, idTag: "T", meterStart: 0, timestamp: new Date().toISOString() }))[2] as { transactionId: number }).transactionId;
      since = shared.probe.mark();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? request(`p${i}`, "RemoteStopTransaction", { transactionId: tx }) : cmd(`p${i}`, "remote_stop_transaction", { transaction_id: tx }))));
      const stops = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? response(`p${i}`, since).then((r) => r.error ?? "ok") : cmdResponse(`p${i}`, since).then((r) => r.error?.description ?? "ok"))));
      for (const r of stops) expect(r).toMatch(/^stopping a transaction refused/);
      expect(calls(cp, "RemoteStartTransaction")).toHaveLength(1);
      expect(calls(cp, "RemoteStopTransaction")).toHaveLength(0);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("ClearChargingProfile may not remove the bridge's current_limit_a profile, nor SetChargingProfile replace it; other profiles are the user's", async () => {
    const bridge = await startOcpp(shared.url, {});
    const cp = await RawCp.connect(bridge.url("/PROF1"));
    const { request, set, cmd, response, cmdResponse, online } = io(bridge, "PROF1");
    try {
      await boot(cp);
      await online();
      const since = shared.probe.mark();
      await set("l", { current_limit_a: 10 });
      const limit = await cp.nextCall("SetChargingProfile");
      cp.answer(limit, { status: "Accepted" });
      expect((await response("l", since)).status).toBe("ok");
      const ownId = (limit[3] as { csChargingProfiles: { chargingProfileId: number } }).csChargingProfiles.chargingProfileId;
      await request("all", "ClearChargingProfile", {});
      expect((await response("all", since)).error).toContain(`would also remove the bridge's own charging profile ${ownId} (current_limit_a 10 A)`);
      await cmd("byid", "clear_charging_profile", { id: ownId });
      expect((await cmdResponse("byid", since)).error).toMatchObject({ code: "Refused" });
      await request("replace", "SetChargingProfile", { connectorId: 0, csChargingProfiles: { chargingProfileId: ownId, stackLevel: 5, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Relative", chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 32 }] } } });
      expect((await response("replace", since)).error).toContain(`chargingProfileId ${ownId} is the bridge's own`);
      // A clear that spares it goes through.
      await cmd("mine", "clear_charging_profile", { charging_profile_purpose: "TxProfile" });
      const clear = await cp.nextCall("ClearChargingProfile");
      expect(clear[3]).toEqual({ chargingProfilePurpose: "TxProfile" });
      cp.answer(clear, { status: "Accepted" });
      expect((await cmdResponse("mine", since)).status).toBe("ok");
      expect(calls(cp, "ClearChargingProfile")).toHaveLength(1);
      expect(calls(cp, "SetChargingProfile")).toHaveLength(1);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });
});

describe("the open door", () => {
  test("identities that leave without a BootNotification are forgotten and do not count; booted ones gone for forget_after_s neither", async () => {
    const bridge = await startOcpp(shared.url, { max_charge_points: 3, forget_after_s: 0.5 });
    try {
      // Made-up identities, some saying a Heartbeat (so they reach the hub), then gone.
      for (let i = 0; i < 30; i++) {
        const fake = await RawCp.connect(bridge.url(`/FAKE${i}`));
        if (i % 2 === 0) await fake.call("h", "Heartbeat", {});
        fake.close();
        await fake.closed;
      }
      await until(() => bridge.central.sessions().size === 0, "every fake session ended");
      const since = shared.probe.mark();
      const real = await RawCp.connect(bridge.url("/REAL1"));
      await boot(real);
      await until(() => bridge.hub.ids().includes("REAL1"), "the real charger in the hub");
      expect(bridge.hub.ids().filter((id) => id.startsWith("FAKE"))).toEqual([]);
      // What the fakes had published is cleared.
      await shared.probe.wait(`${bridge.base}/FAKE0`, (m) => m.text === "", 5000);
      // Booted, then gone: forgotten after forget_after_s, and its topics cleared.
      const gone = await RawCp.connect(bridge.url("/GONE1"));
      await boot(gone);
      await until(() => bridge.hub.ids().includes("GONE1"), "GONE1 in the hub");
      gone.close();
      await shared.probe.wait(`${bridge.base}/GONE1`, (m) => m.text === "", 5000, since);
      await until(() => !bridge.hub.ids().includes("GONE1"), "GONE1 forgotten");
      // Two places free again besides REAL1.
      const others = await Promise.all(["NEW1", "NEW2"].map((id) => RawCp.connect(bridge.url(`/${id}`))));
      for (const o of others) await boot(o);
      await expect(RawCp.connect(bridge.url("/NEW3"))).rejects.toThrow("HTTP 503");
      for (const o of [...others, real]) o.close();
    } finally {
      await bridge.stop();
    }
  });

  test("a charge point that booted is remembered across a restart: reconnecting without a new boot and leaving does not forget it", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "ocpp-roster-"));
    const first = await startOcpp(shared.url, {}, { stateDir });
    const cp = await RawCp.connect(first.url("/KEEP1"));
    await boot(cp);
    cp.close();
    await cp.closed;
    await first.stop();
    const bridge = await startOcpp(shared.url, {}, { stateDir, base: first.base });
    try {
      const since = shared.probe.mark();
      const again = await RawCp.connect(bridge.url("/KEEP1"));
      await again.call("h", "Heartbeat", {});
      again.close();
      await shared.probe.wait(`${bridge.base}/KEEP1/availability`, (m) => m.text === "offline", 5000, since);
      // Sentinel: a made-up identity that leaves the same way is forgotten; KEEP1 is not.
      const fake = await RawCp.connect(bridge.url("/FAKEX"));
      await fake.call("h", "Heartbeat", {});
      fake.close();
      await shared.probe.wait(`${bridge.base}/FAKEX`, (m) => m.text === "", 5000, since);
      expect(bridge.hub.ids()).toEqual(["KEEP1"]);
      expect(shared.probe.messages.some((m) => m.seq >= since && m.topic === `${bridge.base}/KEEP1` && m.text === "")).toBe(false);
    } finally {
      await bridge.stop();
    }
  });

  test("reserved names are refused with HTTP 400", async () => {
    const bridge = await startOcpp(shared.url, {});
    try {
      for (const name of ["bridge", "set", "request", "response", "availability", "Bridge"]) {
        await expect(RawCp.connect(bridge.url(`/ocpp/${name}`))).rejects.toThrow("HTTP 400");
      }
      await expect(RawCp.connect(bridge.url("/x?station=bridge"))).rejects.toThrow("HTTP 400");
      expect(bridge.central.sessions().size).toBe(0);
    } finally {
      await bridge.stop();
    }
  });

  test("password guessing: after 5 failures from one address even the right password gets 429, and the log has one line per burst", async () => {
    const lines: string[] = [];
    const bridge = await startOcpp(shared.url, { chargers: { SAFE1: { password: "right" } } }, { logLines: lines });
    try {
      for (let i = 0; i < 5; i++) await expect(RawCp.connect(bridge.url("/SAFE1"), { headers: basic("SAFE1", `guess${i}`) })).rejects.toThrow("HTTP 401");
      for (let i = 0; i < 20; i++) await expect(RawCp.connect(bridge.url("/SAFE1"), { headers: basic("SAFE1", `guess${i}`) })).rejects.toThrow("HTTP 429");
      await expect(RawCp.connect(bridge.url("/SAFE1"), { headers: basic("SAFE1", "right") })).rejects.toThrow("HTTP 429");
      const refusals = lines.filter((l) => l.includes("ocpp connection refused"));
      expect(refusals.map((l) => /status=(\d+)/.exec(l)?.[1])).toEqual(["401", "429"]);
      expect(refusals.every((l) => !l.includes("guess"))).toBe(true);
    } finally {
      await bridge.stop();
    }
  });
});

describe("secrets stay out of the log", () => {
  test("malformed compat commands are never logged with their payload", async () => {
    const lines: string[] = [];
    const bridge = await startOcpp(shared.url, {}, { logLines: lines });
    const cp = await RawCp.connect(bridge.url("/LEAK1"));
    const SECRET = "0011AABBCCDDSECRET";
    try {
      await boot(cp);
      const since = shared.probe.mark();
      const bad: (string | Record<string, unknown>)[] = [
        `{"action":"change_configuration","args":{"key":"AuthorizationKey","value":"${SECRET}"`,
        { action: "change_configuration", args: { key: "AuthorizationKey", value: SECRET, extra: SECRET }, id: "b1" },
        { action: "change_configuration", args: { key: "AuthorizationKey", value: SECRET + "x".repeat(600) }, id: "b2" },
        { action: "change_configuration", args: [SECRET], id: "b3" },
        { action: "change_configuration", args: { key: 5, value: SECRET }, id: "b4" },
        { action: SECRET, args: { key: "AuthorizationKey", value: SECRET }, id: "b5" },
        { action: "change_configuration", args: { key: "AuthorizationKey", value: SECRET }, id: { secret: SECRET } },
      ];
      for (const b of bad) await shared.probe.publish("ocpp/LEAK1/cmd", typeof b === "string" ? b : JSON.stringify(b));
      // Sentinel: commands on one topic are handled in order.
      await shared.probe.publish("ocpp/LEAK1/cmd", { action: "make_coffee", id: "sentinel" });
      await shared.probe.waitJson<CmdResponse>("ocpp/LEAK1/cmd_response", (x) => x.id === "sentinel", 5000, since);
      expect(lines.filter((l) => l.includes("compat command"))).not.toEqual([]);
      expect(lines.filter((l) => l.includes(SECRET))).toEqual([]);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });
});
