// Transport-level behaviour over real sockets: timeouts, Basic auth, allow-list, TLS, reconnects, bad frames.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../lib/log.ts";
import { SimulatedChargePoint } from "../../../protocols/ocpp/sim/charge-point.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { type OcppBridge, RawCp, sleep, startOcpp } from "./helpers.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

const shared = brokerForFile({ probe: ["#"] });

const basic = (user: string, pass: string) => ({ Authorization: "Basic " + Buffer.from(`${user}:${pass}`).toString("base64") });

describe("OCPP transport", () => {
  test("a charger that never answers: timeout reported, the queued command moves on, its CALLs still answered", async () => {
    const bridge = await startOcpp(shared.url, { call_timeout_s: 0.3 });
    try {
      const cp = await RawCp.connect(bridge.url("/SILENT"));
      await cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
      const since = shared.probe.mark();
      await shared.probe.publish(`${bridge.base}/SILENT/request`, { transaction: "t1", action: "ClearCache" });
      // The second command only once the first is on the wire: two topics have no common order.
      const first = await cp.nextCall("ClearCache");
      await shared.probe.publish("ocpp/SILENT/cmd", { action: "clear_cache", id: "c2" });
      // While our first CALL is outstanding the second waits, and the charger's own CALLs are answered.
      expect((await cp.call("h", "Heartbeat", {}))[0]).toBe(3);
      expect(cp.received.filter((m) => m[0] === 2).length).toBe(1);
      const r = await shared.probe.waitJson<{ transaction?: string; id?: string | number; status: string; error: string }>(`${bridge.base}/SILENT/response`, (x) => x.transaction === "t1", 3000, since);
      expect(r.status).toBe("error");
      expect(r.error).toContain("no reply to ClearCache within 0.3 s");
      // The queued one is sent only after the timeout; a late reply to the first is ignored.
      const second = await cp.waitFor((m) => m[0] === 2 && m[1] !== first[1], 3000);
      cp.send([3, first[1], { status: "Accepted" }]);
      cp.send([3, second[1], { status: "Rejected" }]);
      const d = await shared.probe.waitJson<{ transaction?: string; id?: string | number; status: string; result: { status: string } }>("ocpp/SILENT/cmd_response", (x) => x.id === "c2", 3000, since);
      expect(d.result.status).toBe("Rejected");
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("current_limit_a falls back from TxDefaultProfile to ChargePointMaxProfile to TxProfile", async () => {
    const bridge = await startOcpp(shared.url, {});
    try {
      const cp = await RawCp.connect(bridge.url("/PICKY"));
      await cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
      let since = shared.probe.mark();
      await shared.probe.publish(`${bridge.base}/PICKY/set`, { transaction: "l1", current_limit_a: 20 });
      const tx = await cp.nextCall("SetChargingProfile");
      expect((tx[3] as { csChargingProfiles: { chargingProfilePurpose: string } }).csChargingProfiles.chargingProfilePurpose).toBe("TxDefaultProfile");
      cp.answered.add(String(tx[1]));
      cp.send([4, tx[1], "NotSupported", "no TxDefault here", {}]);
      const max = await cp.nextCall("SetChargingProfile");
      const maxProfile = (max[3] as { connectorId: number; csChargingProfiles: { chargingProfilePurpose: string; chargingSchedule: { chargingSchedulePeriod: { limit: number }[] } } });
      expect(maxProfile.connectorId).toBe(0);
      expect(maxProfile.csChargingProfiles.chargingProfilePurpose).toBe("ChargePointMaxProfile");
      expect(maxProfile.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]!.limit).toBe(20);
      cp.answer(max, { status: "Accepted" });
      const r = await shared.probe.waitJson<{ transaction?: string; status: string; data: Record<string, unknown> }>(`${bridge.base}/PICKY/response`, (x) => x.transaction === "l1", 3000, since);
      expect(r.status).toBe("ok");
      expect(r.data).toMatchObject({ current_limit_a: 20, profile: "ChargePointMaxProfile", tried: ["TxDefaultProfile CALLERROR NotSupported", "ChargePointMaxProfile Accepted"] });
      // With every kind refused (and no transaction running) the reply says what was tried.
      since = shared.probe.mark();
      await shared.probe.publish(`${bridge.base}/PICKY/set`, { transaction: "l2", current_limit_a: 10 });
      for (let i = 0; i < 2; i++) cp.answer(await cp.nextCall("SetChargingProfile"), { status: "Rejected" });
      const e = await shared.probe.waitJson<{ transaction?: string; status: string; error: string }>(`${bridge.base}/PICKY/response`, (x) => x.transaction === "l2", 3000, since);
      expect(e.status).toBe("error");
      expect(e.error).toContain("accepted no charging profile for 10 A (TxDefaultProfile Rejected, ChargePointMaxProfile Rejected)");
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("Basic auth (profile 1): right password accepted, wrong or missing refused with 401; allow-list refuses with 404", async () => {
    const bridge = await startOcpp(shared.url, { require_auth: true, allowed: ["SEC1", "SEC2"], chargers: { SEC1: { password: "pa:ss wörd" } } });
    try {
      const ok = await RawCp.connect(bridge.url("/ocpp/SEC1"), { headers: basic("SEC1", "pa:ss wörd") });
      expect((await ok.call("h", "Heartbeat", {}))[0]).toBe(3);
      ok.close();
      await expect(RawCp.connect(bridge.url("/ocpp/SEC1"), { headers: basic("SEC1", "wrong") })).rejects.toThrow("HTTP 401");
      await expect(RawCp.connect(bridge.url("/ocpp/SEC1"))).rejects.toThrow("HTTP 401");
      await expect(RawCp.connect(bridge.url("/ocpp/SEC1"), { headers: basic("OTHER", "pa:ss wörd") })).rejects.toThrow("HTTP 401");
      // Allowed but without a configured password while auth is required.
      await expect(RawCp.connect(bridge.url("/ocpp/SEC2"), { headers: basic("SEC2", "x") })).rejects.toThrow("HTTP 401");
      await expect(RawCp.connect(bridge.url("/ocpp/INTRUDER"))).rejects.toThrow("HTTP 404");
      expect([...bridge.central.sessions().keys()]).not.toContain("INTRUDER");
    } finally {
      await bridge.stop();
    }
  });

  test("TLS (profile 2): wss with a self-signed certificate and Basic auth", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocpp-tls-"));
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const bridge = await startOcpp(shared.url, { tls_cert: cert, tls_key: key, chargers: { TLS1: { password: "secret" } } });
    try {
      expect(bridge.url("/x")).toStartWith("wss://");
      const since = shared.probe.mark();
      const sim = new SimulatedChargePoint({ url: bridge.url("/ocpp/TLS1"), identity: "TLS1", password: "secret", ca: readFileSync(cert, "utf8"), meterIntervalMs: 60_000, log: silentLogger });
      await sim.start();
      await shared.probe.wait("ocpp/TLS1/state/charge_point_vendor", (m) => m.text === "evse2mqtt", 5000, since);
      sim.stop();
      // Without trusting the certificate the handshake fails.
      await expect(RawCp.connect(bridge.url("/ocpp/TLS1"), { headers: basic("TLS1", "secret") })).rejects.toThrow();
    } finally {
      await bridge.stop();
    }
  });

  test("heartbeat goes OFF after two heartbeat intervals of silence while still connected (F9)", async () => {
    const bridge = await startOcpp(shared.url, { heartbeat_interval_s: 1 });
    try {
      const cp = await RawCp.connect(bridge.url("/ocpp/QUIET"));
      const since = shared.probe.mark();
      await cp.call("h", "Heartbeat", {});
      await shared.probe.wait("ocpp/QUIET/state/heartbeat", (m) => m.text === "ON", 3000, since);
      const off = await shared.probe.wait("ocpp/QUIET/state/heartbeat", (m) => m.text === "OFF", 5000, since);
      expect(cp.ws.readyState).toBe(cp.ws.OPEN);
      expect(shared.probe.messages.some((m) => m.seq >= since && m.seq < off.seq && m.topic === "ocpp/QUIET/state/connection_state" && m.text === "DISCONNECTED")).toBe(false);
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("boot_configuration is sent with ChangeConfiguration after each BootNotification", async () => {
    const bridge = await startOcpp(shared.url, { boot_configuration: { WebSocketPingInterval: "20", StopTransactionOnInvalid: "true" } });
    try {
      const cp = await RawCp.connect(bridge.url("/ocpp/CFG"));
      expect((await cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" }))[0]).toBe(3);
      const first = await cp.nextCall("ChangeConfiguration");
      expect(first[3]).toEqual({ key: "WebSocketPingInterval", value: "20" });
      expect(cp.received.findIndex((m) => m[1] === "b")).toBeLessThan(cp.received.indexOf(first));
      cp.answer(first, { status: "Accepted" });
      const second = await cp.nextCall("ChangeConfiguration");
      expect(second[3]).toEqual({ key: "StopTransactionOnInvalid", value: "true" });
      cp.answer(second, { status: "Accepted" });
      cp.close();
    } finally {
      await bridge.stop();
    }
  });

  test("a reconnect with the same identity replaces the old session", async () => {
    const bridge = await startOcpp(shared.url, {});
    try {
      const a = await RawCp.connect(bridge.url("/ocpp/DUP"));
      await a.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
      const since = shared.probe.mark();
      const b = await RawCp.connect(bridge.url("/ocpp/DUP"));
      expect(await a.closed).toBe(1000);
      await shared.probe.wait("ocpp/DUP/state/disconnect_reason", (m) => m.text === "session_cancelled", 5000, since);
      await shared.probe.publish("ocpp/DUP/cmd", { action: "clear_cache", id: "d1" });
      b.answer(await b.nextCall("ClearCache"), { status: "Accepted" });
      await shared.probe.waitJson("ocpp/DUP/cmd_response", (x: { id?: string; status?: string }) => x.id === "d1" && x.status === "ok", 5000, since);
      // The replaced session did not take the charger offline.
      await sleep(100);
      expect(shared.probe.messages.some((m) => m.seq >= since && m.topic === `${bridge.base}/DUP/availability` && m.text === "offline")).toBe(false);
      expect(shared.probe.messages.some((m) => m.seq >= since && m.topic === "ocpp/DUP/state/connection_state" && m.text === "DISCONNECTED")).toBe(false);
      b.close();
      await shared.probe.wait(`${bridge.base}/DUP/availability`, (m) => m.text === "offline", 5000, since);
    } finally {
      await bridge.stop();
    }
  });

  test("schema-invalid frames get CALLERRORs and the session survives; a flood of bad frames closes it", async () => {
    const bridge = await startOcpp(shared.url, { max_bad_messages: 5, chargers: { LAX: { lenient: true } } });
    try {
      const cp = await RawCp.connect(bridge.url("/ocpp/BAD"));
      for (let i = 0; i < 4; i++) expect((await cp.call(`x${i}`, "Heartbeat", { junk: i }))[2]).toBe("FormationViolation");
      expect((await cp.call("ok", "Heartbeat", {}))[0]).toBe(3);
      cp.send("not json");
      cp.send("[2]");
      cp.send('[2,"q","Heartbeat"]');
      expect((await cp.reply("q"))[2]).toBe("FormationViolation");
      expect((await cp.call("ok2", "Heartbeat", {}))[0]).toBe(3);
      for (let i = 0; i < 5; i++) cp.send("{}");
      expect(await cp.closed).toBe(1008);
      // Lenient charger: vendor extras and overlong strings pass, missing required fields do not.
      const lax = await RawCp.connect(bridge.url("/ocpp/LAX"));
      expect((await lax.call("b", "BootNotification", { chargePointVendor: "A very long vendor name indeed", chargePointModel: "M", vendorX: 1 }))[0]).toBe(3);
      expect((await lax.call("c", "BootNotification", { chargePointVendor: "V" }))[2]).toBe("ProtocolError");
      lax.close();
    } finally {
      await bridge.stop();
    }
  });
});
