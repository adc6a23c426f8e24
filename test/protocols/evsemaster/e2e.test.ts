// Session lifecycle end to end, the start: discovery, login (wrong password, a remembered PIN),
// status pushes. simulator ⇄ UDP on 127.0.0.1 ⇄ bridge ⇄ real broker ⇄ probe. Sessions lost and
// found again: e2e-relogin.test.ts.

import { expect, test } from "bun:test";
import dgram from "node:dgram";
import { encodeEvse } from "../../../protocols/evsemaster/codec.ts";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evsemasterPlugin } from "../../../protocols/evsemaster/index.ts";
import { MODELS } from "../../../protocols/evsemaster/sim/model.ts";
import { startInProcess } from "../../support/in-process-bridge.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { beaconSentinel, E2E_TIMEOUT_MS, FAST, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";

test("discovery without password: published as NOT_LOGGED_IN; garbage never creates chargers", async () => {
  const r = await rig(mosq.url, {}, { model: "telestar" });
  try {
    const d = await r.detail(S1, (x) => x.meta_state === "NOT_LOGGED_IN");
    expect(d.password_configured).toBe(false);
    expect((d.info as Record<string, unknown>).brand).toBe("Telestar");
    expect((await r.state(S1)).status).toBe("unknown");
    await r.probe.wait(`${r.base}/${S1}/availability`, (m) => m.text === "online");
    // Junk from another host: random bytes, a beacon with a broken checksum, a beacon with a broken tail.
    const junk = dgram.createSocket("udp4");
    const beacon = encodeEvse("7700000000000009", { type: "beacon", info: MODELS.bs20!.info });
    const badSum = beacon.slice();
    badSum[30] = (badSum[30]! + 1) & 0xff;
    const badTail = beacon.slice();
    badTail[badTail.length - 1] = 0;
    // Last, from the same socket: a good beacon of a new serial. The bridge handles one host's
    // datagrams in order, so once that charger exists the junk has been handled.
    const sentinel = encodeEvse("7700000000000010", { type: "beacon", info: MODELS.bs20!.info });
    for (const b of [Uint8Array.of(6, 1, 0, 30, 1, 2, 3), badSum, badTail, new Uint8Array(64).fill(0x55), sentinel]) {
      await new Promise<void>((res) => junk.send(b, r.port, "127.0.0.1", () => res()));
    }
    await until(() => r.bridge.hub.ids().includes("7700000000000010"), "the sentinel beacon creates its charger");
    junk.close();
    expect(r.bridge.hub.ids().sort()).toEqual([S1, "7700000000000010"].sort());
    expect(r.sims[0]!.received.filter((x) => x.message.type === "requestLogin")).toHaveLength(0);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("wrong password is reported once and not retried; login request with the right one works", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "654321" }] }, { model: "telestar" });
  try {
    const d = await r.detail(S1, (x) => x.login_error === "wrong password");
    expect(d.meta_state).toBe("NOT_LOGGED_IN");
    const sim = r.sims[0]!;
    // The refused charger keeps beaconing; each beacon is a chance to retry. Two sentinels a few
    // beacons apart (and past the 0.4 s back-off) prove the bridge handled them without a retry.
    await beaconSentinel(r, sim, S1);
    const beacons = sim.beaconsSent;
    await until(() => sim.beaconsSent >= beacons + 8, "eight more beacons");
    await beaconSentinel(r, sim, S1);
    expect(sim.received.filter((x) => x.message.type === "requestLogin")).toHaveLength(1);
    const refused = await r.request(S1, "charge_start");
    expect(refused.status).toBe("error");
    expect(refused.error).toContain("wrong password");
    const bad = await r.request(S1, "login", { password: "111111" });
    expect(bad).toMatchObject({ status: "error", error: "wrong password" });
    const ok = await r.request(S1, "login", { password: "123456" });
    expect(ok).toMatchObject({ status: "ok", data: { logged_in: true } });
    await r.detail(S1, (x) => x.logged_in === true && x.login_error === null);
    // The bridge may say so on MQTT before its LoginConfirm datagram has reached the simulator.
    await until(() => sim.loggedIn, "the simulator takes the LoginConfirm");
    // Passwords never reach MQTT (the probe's own /request is the only place one may appear).
    const leaked = r.probe.messages.filter((m) => !m.topic.endsWith("/request") && /654321|123456|111111/.test(m.text));
    expect(leaked).toEqual([]);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a PIN given with the login request is remembered: after a restart the bridge logs in by itself", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "em-pins-"));
  const file = join(stateDir, "evsemaster-passwords.json");
  const r = await rig(mosq.url, {}, { model: "telestar" }, { stateDir });
  try {
    await r.detail(S1, (x) => x.meta_state === "NOT_LOGGED_IN");
    expect(existsSync(file)).toBe(false);
    expect(await r.request(S1, "login", { password: "123456" })).toMatchObject({ status: "ok" });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ [S1]: "123456" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // A new bridge on the same port and state dir, no PIN in its config.
    await r.bridge.stop();
    const again = await startInProcess(evsemasterPlugin, mosq.url, { ...FAST, port: r.port }, { base: r.base, stateDir });
    try {
      const since = r.probe.mark();
      await r.probe.waitJson(`${r.base}/${S1}/evsemaster`, (x) => x.logged_in === true, 8000, since);
    } finally {
      await again.stop();
    }
  } finally {
    await r.close().catch(() => {});
  }
}, E2E_TIMEOUT_MS);

test("a remembered PIN that the charger refuses is forgotten", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "em-pins-"));
  const file = join(stateDir, "evsemaster-passwords.json");
  writeFileSync(file, JSON.stringify({ [S1]: "999999", ffff000000000000: "123456" }));
  const r = await rig(mosq.url, {}, { model: "telestar" }, { stateDir });
  try {
    await r.detail(S1, (x) => x.login_error === "wrong password");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ ffff000000000000: "123456" });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("status pushes become the normalized state and the detail topic", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "bs20", count: 1 });
  try {
    const st = await r.state(S1, (s) => s.status === "connected" && s.current_limit_a === 16);
    expect(st).toMatchObject({ protocol: "evsemaster", enabled: false, power_w: 0, voltage_v: [230, 230, 230], current_a: [0, 0, 0], temperature_c: 31.25, errors: [] });
    expect(st.energy_total_wh).toBeGreaterThan(1_000_000);
    const d = await r.detail(S1, (x) => (x.config as Record<string, unknown>).fetched_at !== null);
    expect(d).toMatchObject({
      meta_state: "PLUGGED_IN",
      logged_in: true,
      info: { brand: "BESEN", model: "BS20", phases: 3, can_force_single_phase: true, max_current_a: 16, software_version: "C.3252.112A008" },
      config: { max_current_a: 16, language: "english", temperature_unit: "celsius", offline_charge: true },
      state: { gun_state_name: "connected_unlocked", output_state_name: "idle", current_state: 13 },
      errors: { raw: "0x00000000", provisional: true },
    });
    // Error bits published raw and decoded.
    r.sims[0]!.state.errors = 0x1020;
    const e = await r.detail(S1, (x) => x.meta_state === "ERROR");
    expect(e.errors).toMatchObject({ raw: "0x00001020", bits: [5, 12], decoded: ["cp_error", "over_current"] });
    expect((await r.state(S1, (s) => s.status === "error")).errors).toEqual(["cp_error", "over_current"]);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
