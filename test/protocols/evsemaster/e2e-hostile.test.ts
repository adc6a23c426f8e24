// The hostile-probe findings end to end (real UDP on loopback, real Mosquitto): raw commands that
// bypassed the limits, a `login` request that locked the bridge out, and the PIN going to whoever
// beaconed. 127.0.0.2 is "another host" on Linux loopback.

import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { FakeHost, INFO, SENTINEL_CHARGER } from "./fake.ts";
import { E2E_TIMEOUT_MS, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";
const NEW = "7700000000000042";
const PIN = { default_password: "123456", discover_login: true };

test("a redundant charge_stop or charge_start sends nothing and leaves the cooldown where it was", async () => {
  const r = await rig(mosq.url, { ...PIN, cooldown_s: 30 }, { model: "telestar" });
  try {
    await r.state(S1, (x) => x.status === "connected" && x.enabled === false);
    const sim = r.sims[0]!;
    const sentOf = (type: string) => sim.received.filter((x) => x.message.type === type).length;
    expect(await r.request(S1, "charge_stop")).toMatchObject({ status: "ok", data: { already: "not charging" } });
    expect(sentOf("chargeStop")).toBe(0);
    // The stop that was not needed did not claim the 30 s cooldown: starting works at once.
    expect(await r.set(S1, { enabled: true })).toMatchObject({ status: "ok", data: { enabled: { reserved: false } } });
    await r.state(S1, (x) => x.status === "charging");
    expect(await r.request(S1, "charge_start", { max_amps: 10 })).toMatchObject({ status: "ok", data: { already: "charging or reserved" } });
    expect(sentOf("chargeStart")).toBe(1);
    // A real switch inside the cooldown is refused on both paths, in the same words.
    const viaRequest = await r.request(S1, "charge_stop");
    const viaSet = await r.set(S1, { enabled: false });
    for (const res of [viaRequest, viaSet]) expect(res.error).toMatch(/^rate limited: charge stop refused: the last on\/off switch was \d+ s ago; next allowed in (29|30) s/);
    expect(sentOf("chargeStop")).toBe(0);
    expect(sim.state.charging).toBe(true);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("every path that sets a current refuses below 6 A with the guard's words; above the maximum /set and charge_start clamp, set_max_current refuses", async () => {
  const r = await rig(mosq.url, PIN, { model: "bs20" });
  try {
    await r.detail(S1, (x) => x.logged_in === true && (x.config as { fetched_at: unknown }).fetched_at !== null);
    const low = [await r.set(S1, { current_limit_a: 3 }), await r.request(S1, "charge_start", { max_amps: 3 }), await r.request(S1, "set_max_current", { amps: 3 })];
    expect(low.map((x) => x.error)).toEqual(["current_limit_a", "max_amps", "amps"].map((f) => `${f} 3 A is below the minimum 6 A; use enabled:false to stop charging`));
    expect(r.sims[0]!.received.filter((x) => x.message.type === "chargeStart" || (x.message.type === "setting" && x.message.action === 1))).toEqual([]);
    expect(await r.set(S1, { current_limit_a: 40 })).toMatchObject({ status: "ok", data: { current_limit: { max_current_a: 16, clamped_from: 40 } } });
    expect(await r.request(S1, "set_max_current", { amps: 40 })).toMatchObject({ status: "error", error: "out of range: amps must be 6..16" });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a wrong PIN given with `login` is refused, not kept: the bridge logs in again with the configured one", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "em-pins-"));
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456" }] }, { model: "telestar" }, { stateDir });
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const sim = r.sims[0]!;
    const asked = sim.received.length;
    expect(await r.request(S1, "login", { password: "111111" })).toMatchObject({ status: "error", error: "wrong password" });
    // By itself, at once: the configured PIN is still the one to use.
    await until(() => sim.received.slice(asked).filter((x) => x.message.type === "loginConfirm").length === 1, "a new LoginConfirm", 5000);
    await r.detail(S1, (x) => x.logged_in === true && x.login_error === null);
    expect(sim.received.slice(asked).filter((x) => x.message.type === "requestLogin")).toHaveLength(2);
    expect(sim.loggedIn).toBe(true);
    // Nothing remembered: only a PIN the charger accepted is kept.
    expect(() => readFileSync(join(stateDir, "evsemaster-passwords.json"), "utf8")).toThrow();
    expect(await r.request(S1, "set_max_current", { amps: 10 })).toMatchObject({ status: "ok" });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("the PIN never goes to another address once the charger was logged in, not even after it fell silent", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456" }, SENTINEL_CHARGER] }, { model: "telestar" });
  const spoofer = await FakeHost.open("127.0.0.2", r.port);
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const sim = r.sims[0]!;
    sim.silent = true;
    await r.detail(S1, (x) => x.meta_state === "OFFLINE");
    for (let i = 0; i < 3; i++) await spoofer.send(S1, { type: "beacon", info: INFO });
    await spoofer.sentinel();
    expect(spoofer.heardBesidesSentinel()).toEqual([]);
    // The charger itself comes back and is logged in again at its own address.
    await until(() => !sim.loggedIn, "the simulator drops the silent session", 5000);
    sim.silent = false;
    const d = await r.detail(S1, (x) => x.logged_in === true);
    expect(d.endpoint).toBe(`127.0.0.1:${sim.port}`);
    expect(spoofer.heardBesidesSentinel()).toEqual([]);
  } finally {
    await spoofer.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a charger may move to another address only after the old one was silent for address_change_after_s", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456" }], address_change_after_s: 1 }, { model: "telestar" });
  const moved = await FakeHost.open("127.0.0.2", r.port);
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    r.sims[0]!.silent = true;
    // Offline after 1 s of silence: by then the old address has been silent for the 1 s as well.
    await r.detail(S1, (x) => x.meta_state === "OFFLINE");
    await moved.send(S1, { type: "beacon", info: INFO });
    const ask = await moved.waitFor("requestLogin", 5000, S1);
    expect(ask.password).toBe("123456");
  } finally {
    await moved.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a configured `address` is the only one that ever gets a login, from the first beacon on", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456", address: "127.0.0.1" }, SENTINEL_CHARGER] }, { count: 0 });
  const spoofer = await FakeHost.open("127.0.0.2", r.port);
  const charger = await FakeHost.open("127.0.0.1", r.port);
  try {
    await spoofer.send(S1, { type: "beacon", info: INFO });
    await spoofer.sentinel();
    expect(spoofer.heardBesidesSentinel()).toEqual([]);
    await charger.send(S1, { type: "beacon", info: INFO });
    expect((await charger.waitFor("requestLogin", 5000, S1)).password).toBe("123456");
  } finally {
    await spoofer.close();
    await charger.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("default_password goes only to a serial logged in before at that address, unless discover_login", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "em-addr-"));
  // Without discover_login: a new serial gets no PIN at all.
  const first = await rig(mosq.url, { default_password: "123456", charger: [SENTINEL_CHARGER] }, { count: 0 }, { stateDir });
  const host = await FakeHost.open("127.0.0.1", first.port);
  try {
    await host.send(NEW, { type: "beacon", info: INFO });
    await host.sentinel();
    expect(host.heardBesidesSentinel()).toEqual([]);
    expect(await first.detail(NEW, (x) => x.meta_state === "NOT_LOGGED_IN")).toMatchObject({ password_configured: false });
  } finally {
    await host.close();
    await first.close();
  }
  // With discover_login it logs in, and the address it logged in from is kept.
  const second = await rig(mosq.url, PIN, { model: "telestar" }, { stateDir });
  try {
    await second.detail(S1, (x) => x.logged_in === true);
    expect(JSON.parse(readFileSync(join(stateDir, "evsemaster-addresses.json"), "utf8"))).toEqual({ [S1]: "127.0.0.1" });
  } finally {
    await second.close();
  }
  // A known serial at its known address gets default_password without discover_login; elsewhere not.
  writeFileSync(join(stateDir, "evsemaster-addresses.json"), JSON.stringify({ [NEW]: "127.0.0.1" }));
  const third = await rig(mosq.url, { default_password: "123456", charger: [SENTINEL_CHARGER] }, { count: 0 }, { stateDir });
  const spoofer = await FakeHost.open("127.0.0.2", third.port);
  const charger = await FakeHost.open("127.0.0.1", third.port);
  try {
    await spoofer.send(NEW, { type: "beacon", info: INFO });
    await spoofer.sentinel();
    expect(spoofer.heardBesidesSentinel()).toEqual([]);
    await charger.send(NEW, { type: "beacon", info: INFO });
    expect((await charger.waitFor("requestLogin", 5000, NEW)).password).toBe("123456");
  } finally {
    await spoofer.close();
    await charger.close();
    await third.close();
  }
}, E2E_TIMEOUT_MS);
