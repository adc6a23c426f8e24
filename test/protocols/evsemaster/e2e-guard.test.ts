// Hostile LAN hosts end to end: forged serials and forged replies from another address (127.0.0.2)
// against the bridge on real UDP and a real broker.

import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { FakeHost, idleStatus, INFO, SENTINEL, SENTINEL_CHARGER } from "./fake.ts";
import { E2E_TIMEOUT_MS, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";
const forged = (i: number) => (0x1000000000000000n + BigInt(i)).toString(16);

test("another host claiming a logged-in serial is ignored: no PIN sent to it, session kept, drops counted", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456" }, SENTINEL_CHARGER] }, { model: "telestar" });
  const attacker = await FakeHost.open("127.0.0.2", r.port);
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const sim = r.sims[0]!;
    for (let i = 0; i < 10; i++) {
      // Redirect attempts (beacon, heading), a forged session drop, a forged login answer and status.
      await attacker.send(S1, { type: "beacon", info: INFO });
      await attacker.send(S1, { type: "heading" });
      await attacker.send(S1, { type: "status", polled: false, status: idleStatus() });
      await attacker.send(S1, { type: "passwordError" });
      await attacker.send(S1, { type: "loginResponse", info: INFO });
    }
    await attacker.sentinel();
    expect(attacker.heardBesidesSentinel()).toEqual([]);
    const d = await r.detail(S1, (x) => (x.foreign_datagrams_dropped as number) >= 50);
    expect(d).toMatchObject({ logged_in: true, login_error: null, endpoint: `127.0.0.1:${sim.port}` });
    expect(sim.loggedIn).toBe(true);
    expect(await r.request(S1, "set_max_current", { amps: 10 })).toMatchObject({ status: "ok", data: { max_current_a: 10 } });
  } finally {
    await attacker.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a forged 0x0155 while a login is pending neither locks the login out nor forgets the remembered PIN", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "em-pins-"));
  const file = join(stateDir, "evsemaster-passwords.json");
  writeFileSync(file, JSON.stringify({ [S1]: "123456" }));
  const r = await rig(mosq.url, {}, { count: 0 }, { stateDir });
  const charger = await FakeHost.open("127.0.0.1", r.port);
  const attacker = await FakeHost.open("127.0.0.2", r.port);
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  try {
    await charger.send(S1, { type: "beacon", info: INFO });
    const ask = await charger.waitFor("requestLogin");
    expect(ask.password).toBe("123456");
    // The attacker answers first: a refusal, then tries to take the endpoint with a beacon.
    await attacker.send(S1, { type: "passwordError" });
    await attacker.send(S1, { type: "beacon", info: INFO });
    // Both are dropped (the login is pending with the charger's address) and counted.
    await r.detail(S1, (x) => (x.foreign_datagrams_dropped as number) >= 2);
    await charger.send(S1, { type: "loginResponse", info: INFO });
    await charger.waitFor("loginConfirm");
    keepAlive = setInterval(() => void charger.send(S1, { type: "heading" }), 200);
    const d = await r.detail(S1, (x) => x.logged_in === true);
    expect(d).toMatchObject({ login_error: null, endpoint: `127.0.0.1:${charger.port}` });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ [S1]: "123456" });
    expect(attacker.heard).toEqual([]);
    // The real charger's own 0x0155 still drops the session, as before.
    await charger.send(S1, { type: "passwordError" });
    await r.detail(S1, (x) => x.logged_in === false);
  } finally {
    clearInterval(keepAlive);
    await attacker.close();
    await charger.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("only beacons discover, at most max_discovered; configured serials come from any datagram", async () => {
  const configured = "7700000000000001";
  const r = await rig(mosq.url, { max_discovered: 2, charger: [{ serial: configured, password: "123456" }] }, { count: 0 });
  const spoofer = await FakeHost.open("127.0.0.2", r.port);
  try {
    for (let i = 0; i < 200; i++) await spoofer.send(forged(i), { type: "heading" });
    expect(r.bridge.hub.ids()).toEqual([]);
    // From the same host, handled in order after the 200 headings: the configured serial appears.
    await spoofer.send(configured, { type: "status", polled: false, status: idleStatus() });
    await until(() => r.bridge.hub.ids().length > 0, "the configured charger appears");
    expect(r.bridge.hub.ids()).toEqual([configured]);
    for (let i = 0; i < 20; i++) await spoofer.send(forged(1000 + i), { type: "beacon", info: INFO });
    // Sentinel: a status of the configured charger with a counter of its own, after the beacons.
    await spoofer.send(configured, { type: "status", polled: false, status: { ...idleStatus(), energyKwh: 4242 } });
    await r.detail(configured, (x) => (x.state as { energy_counter_kwh?: number } | null)?.energy_counter_kwh === 4242);
    expect(r.bridge.hub.ids().sort()).toEqual([configured, forged(1000), forged(1001)].sort());
  } finally {
    await spoofer.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("no acknowledgements without a session: not for a disabled charger, not before login", async () => {
  const disabled = "7700000000000002";
  const unknown = "7700000000000003";
  const r = await rig(mosq.url, { charger: [{ serial: disabled, password: "123456", disabled: true }, SENTINEL_CHARGER] }, { count: 0 });
  const charger = await FakeHost.open("127.0.0.1", r.port);
  try {
    for (const serial of [disabled, unknown]) {
      await charger.send(serial, { type: "beacon", info: INFO });
      await charger.send(serial, { type: "heading" });
      await charger.send(serial, { type: "status", polled: false, status: idleStatus() });
    }
    await r.detail(unknown, (x) => x.meta_state === "NOT_LOGGED_IN");
    await charger.sentinel();
    expect(r.bridge.hub.ids().sort()).toEqual([disabled, unknown, SENTINEL].sort());
    expect(charger.heardBesidesSentinel()).toEqual([]);
  } finally {
    await charger.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);
