// Review fixes over real sockets and a real broker: switch race, identity aliases, growth caps,
// one run per compat command, raw profile limits, the true disconnect reason.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { RawCp, sleep, startOcpp } from "./helpers.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

const shared = brokerForFile({ probe: ["#"] });

const boot = (cp: RawCp) => cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
const basic = (user: string, pass: string) => ({ Authorization: "Basic " + Buffer.from(`${user}:${pass}`).toString("base64") });
/** A WebSocket client that completes the handshake and then reads nothing more. */
function silentWebSocket(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1", () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n`);
    });
    sock.on("error", () => {});
    sock.once("data", (d) => {
      sock.pause();
      if (String(d).startsWith("HTTP/1.1 101")) resolve(sock);
      else reject(new Error(String(d).split("\r\n")[0]));
    });
  });
}

type Reply = { transaction?: string; status: string; error?: string; data?: Record<string, unknown> };

describe("OCPP review fixes", () => {
  test("H1: enabled flips arriving together: the first claims the switch, the next flip is refused; a rejected one gives it back", async () => {
    const bridge = await startOcpp(shared.url, { switch_min_interval_s: 30 });
    try {
      const cp = await RawCp.connect(bridge.url("/RL1"));
      await boot(cp);
      const since = shared.probe.mark();
      const response = (t: string) => shared.probe.waitJson<Reply>(`${bridge.base}/RL1/response`, (x) => x.transaction === t, 5000, since);
      await shared.probe.publish(`${bridge.base}/RL1/set`, { transaction: "a", enabled: false });
      const first = await cp.nextCall("ChangeAvailability");
      await shared.probe.publish(`${bridge.base}/RL1/set`, { transaction: "b", enabled: true });
      expect((await response("b")).error).toMatch(/enabling refused/);
      cp.answer(first, { status: "Rejected" });
      expect((await response("a")).error).toContain("rejected");
      // Rejected: nothing switched, so the next flip may go out at once.
      await shared.probe.publish(`${bridge.base}/RL1/set`, { transaction: "c", enabled: true });
      cp.answer(await cp.nextCall("ChangeAvailability"), { status: "Accepted" });
      expect((await response("c")).status).toBe("ok");
      await shared.probe.publish(`${bridge.base}/RL1/set`, { transaction: "d", enabled: false });
      expect((await response("d")).error).toMatch(/disabling refused/);
      expect(cp.received.filter((m) => m[0] === 2 && m[2] === "ChangeAvailability").length).toBe(2);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("H2: aliases of a password-protected charger are refused (400 bad characters, 409 same topic segment)", async () => {
    const bridge = await startOcpp(shared.url, { chargers: { CP_1: { password: "secret" } } });
    try {
      const good = await RawCp.connect(bridge.url("/CP_1"), { headers: basic("CP_1", "secret") });
      await boot(good);
      await expect(RawCp.connect(bridge.url("/CP%201"))).rejects.toThrow("HTTP 400");
      await expect(RawCp.connect(bridge.url("/CP%2F1"))).rejects.toThrow("HTTP 400");
      await expect(RawCp.connect(bridge.url("/CP+1"))).rejects.toThrow("HTTP 409");
      await expect(RawCp.connect(bridge.url("/x?station=" + encodeURIComponent("CP+1")))).rejects.toThrow("HTTP 409");
      // An unconfigured live charger is protected the same way.
      const a = await RawCp.connect(bridge.url("/A+1"));
      await boot(a);
      await expect(RawCp.connect(bridge.url("/A_1"))).rejects.toThrow("HTTP 409");
      const since = shared.probe.mark();
      await shared.probe.publish(`${bridge.base}/CP_1/request`, { transaction: "r", action: "Reset", args: { type: "Hard" } });
      good.answer(await good.nextCall("Reset"), { status: "Accepted" });
      expect((await shared.probe.waitJson<Reply>(`${bridge.base}/CP_1/response`, (x) => x.transaction === "r", 5000, since)).status).toBe("ok");
      a.close();
      good.close();
    } finally {
      await bridge.stop();
    }
  });

  test("M2: connectorId above max_connectors gets CALLERROR and creates nothing", async () => {
    const bridge = await startOcpp(shared.url, { max_connectors: 2 });
    try {
      const cp = await RawCp.connect(bridge.url("/FLOOD"));
      await boot(cp);
      expect((await cp.call("s2", "StatusNotification", { connectorId: 2, errorCode: "NoError", status: "Available" }))[0]).toBe(3);
      for (const [id, action, payload] of [
        ["s3", "StatusNotification", { connectorId: 3, errorCode: "NoError", status: "Available" }],
        ["m3", "MeterValues", { connectorId: 99, meterValue: [{ timestamp: "2026-01-27T10:05:00Z", sampledValue: [{ value: "1" }] }] }],
        ["t3", "StartTransaction", { connectorId: 3, idTag: "x", meterStart: 0, timestamp: "2026-01-27T10:05:00Z" }],
      ] as const) {
        expect((await cp.call(id, action, payload)).slice(0, 3)).toEqual([4, id, "PropertyConstraintViolation"]);
      }
      expect(bridge.hub.ids().sort()).toEqual(["FLOOD", "FLOOD_2"]);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("M2: a socket that says nothing leaves no device and no retained compat topics; max_charge_points refuses with 503", async () => {
    const bridge = await startOcpp(shared.url, { max_charge_points: 2 });
    try {
      const since = shared.probe.mark();
      const mute = await RawCp.connect(bridge.url("/MUTE"));
      await sleep(100);
      mute.close();
      await mute.closed;
      await sleep(200);
      expect(bridge.hub.ids()).toEqual([]);
      expect(shared.probe.messages.some((m) => m.seq >= since && m.topic.startsWith("ocpp/MUTE/"))).toBe(false);
      const one = await RawCp.connect(bridge.url("/ONE"));
      await boot(one);
      // Heartbeat-only chargers (reconnects without a new boot) still appear.
      const two = await RawCp.connect(bridge.url("/TWO"));
      await two.call("h", "Heartbeat", {});
      expect(bridge.hub.ids().sort()).toEqual(["ONE", "TWO"]);
      await expect(RawCp.connect(bridge.url("/THREE"))).rejects.toThrow("HTTP 503");
      // Remembered charge points come back even when the book is full.
      one.close();
      await one.closed;
      const again = await RawCp.connect(bridge.url("/ONE"));
      again.close();
      two.close();
    } finally {
      await bridge.stop();
    }
  });

  test("M4: a per-charger compat_base under the root filter runs a command once", async () => {
    const bridge = await startOcpp(shared.url, { chargers: { G1: { compat_base: "ocpp/garage" } } });
    try {
      const cp = await RawCp.connect(bridge.url("/G1"));
      await boot(cp);
      const since = shared.probe.mark();
      await shared.probe.publish("ocpp/garage/cmd", { action: "reset", args: { type: "Hard" }, id: "g" });
      cp.answer(await cp.nextCall("Reset"), { status: "Accepted" });
      await shared.probe.waitJson("ocpp/garage/cmd_response", (x: { id?: string }) => x.id === "g", 5000, since);
      await sleep(500);
      expect(cp.received.filter((m) => m[0] === 2 && m[2] === "Reset").length).toBe(1);
      expect(shared.probe.messages.filter((m) => m.seq >= since && m.topic === "ocpp/garage/cmd_response").length).toBe(1);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("M5: raw profiles are clamped to max_current_a, refused below min_current_a or in W; /set below the minimum refused", async () => {
    const bridge = await startOcpp(shared.url, {});
    try {
      const cp = await RawCp.connect(bridge.url("/PROF"));
      await boot(cp);
      const since = shared.probe.mark();
      const response = (t: string) => shared.probe.waitJson<Reply>(`${bridge.base}/PROF/response`, (x) => x.transaction === t, 5000, since);
      const schedule = (unit: string, limit: number) => ({ chargingRateUnit: unit, chargingSchedulePeriod: [{ startPeriod: 0, limit }] });
      const profile = (unit: string, limit: number) => ({ chargingProfileId: 3, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Relative", chargingSchedule: schedule(unit, limit) });
      await shared.probe.publish(`${bridge.base}/PROF/request`, { transaction: "hi", action: "SetChargingProfile", args: { connectorId: 1, csChargingProfiles: profile("A", 80) } });
      const sent = await cp.nextCall("SetChargingProfile");
      expect((sent[3] as { csChargingProfiles: { chargingSchedule: { chargingSchedulePeriod: { limit: number }[] } } }).csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]!.limit).toBe(32);
      cp.answer(sent, { status: "Accepted" });
      expect((await response("hi")).data).toMatchObject({ status: "Accepted", clamped: [{ from: 80, to: 32, unit: "A" }] });
      await shared.probe.publish(`${bridge.base}/PROF/request`, { transaction: "lo", action: "RemoteStartTransaction", args: { idTag: "t", chargingProfile: { ...profile("A", 2), chargingProfilePurpose: "TxProfile" } } });
      expect((await response("lo")).error).toMatch(/below the minimum 6 A/);
      await shared.probe.publish("ocpp/PROF/cmd", { action: "set_charging_profile", id: "w", args: { connector_id: 0, cs_charging_profiles: { charging_profile_id: 1, stack_level: 0, charging_profile_purpose: "ChargePointMaxProfile", charging_profile_kind: "Relative", charging_schedule: { charging_rate_unit: "W", charging_schedule_period: [{ start_period: 0, limit: 50_000 }] } } } });
      const w = await shared.probe.waitJson<{ id?: string; status: string; error: { code: string; description: string } }>("ocpp/PROF/cmd_response", (x) => x.id === "w", 5000, since);
      expect(w.error).toMatchObject({ code: "PropertyConstraintViolation", description: expect.stringContaining("max_power_w") });
      await shared.probe.publish(`${bridge.base}/PROF/set`, { transaction: "s", current_limit_a: 3 });
      expect((await response("s")).error).toBe("current_limit_a 3 A is below the minimum 6 A; use 0 to pause or enabled:false to stop");
      await sleep(100);
      expect(cp.received.filter((m) => m[0] === 2).length).toBe(1);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("L4: a replaced session closing late does not overwrite its successor's disconnect_reason", async () => {
    const bridge = await startOcpp(shared.url, {});
    try {
      const first = await RawCp.connect(bridge.url("/LATE"));
      await boot(first);
      first.close();
      await first.closed;
      // The old session is a socket that never answers the close: it ends only when the server gives up.
      const a = await silentWebSocket(bridge.port, "/LATE");
      const since = shared.probe.mark();
      const b = await RawCp.connect(bridge.url("/LATE"));
      await b.call("h", "Heartbeat", {});
      b.close();
      await shared.probe.wait("ocpp/LATE/state/disconnect_reason", (m) => m.text === "connection_closed_1000", 5000, since);
      // The server terminates a socket 2 s after a close it sent went unanswered.
      await sleep(2500);
      a.destroy();
      const reasons = shared.probe.messages.filter((m) => m.seq >= since && m.topic === "ocpp/LATE/state/disconnect_reason").map((m) => m.text);
      expect(reasons.at(-1)).toBe("connection_closed_1000");
    } finally {
      await bridge.stop();
    }
  });
});
