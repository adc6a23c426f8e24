// Session lifecycle end to end, sessions lost and found again: a silent charger, another app
// taking the session, a session timeout; a disabled charger left alone. simulator ⇄ UDP on
// 127.0.0.1 ⇄ bridge ⇄ real broker ⇄ probe. Discovery and login: e2e.test.ts.

import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { beaconSentinel, E2E_TIMEOUT_MS, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";

test("a silent charger goes offline, then comes back and logs in again", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const sim = r.sims[0]!;
    sim.silent = true;
    await r.probe.wait(`${r.base}/${S1}/availability`, (m) => m.text === "offline", 5000);
    expect((await r.state(S1, (s) => s.status === "offline")).status).toBe("offline");
    expect((await r.detail(S1, (x) => x.meta_state === "OFFLINE")).logged_in).toBe(false);
    const offline = await r.request(S1, "fetch_config");
    expect(offline.status).toBe("error");
    // Back only once the charger itself has given the session up (its app timeout) and beacons again.
    await until(() => !sim.loggedIn, "the simulator drops the silent session", 5000);
    sim.silent = false;
    const since = r.probe.mark();
    await r.probe.wait(`${r.base}/${S1}/availability`, (m) => m.text === "online", 5000, since);
    await r.detail(S1, (x) => x.logged_in === true, 5000);
    // The LoginConfirm datagram and the detail publish race each other: wait for the datagram.
    await until(() => sim.loggedIn, "the simulator takes the LoginConfirm");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("another app taking the session (unsolicited 0x0155): re-login with growing back-off", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true, relogin_min_s: 0.5 }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const sim = r.sims[0]!;
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      // kick() needs the simulator to have taken the LoginConfirm.
      await until(() => sim.loggedIn, "the simulator takes the LoginConfirm");
      const kickedAt = Date.now();
      sim.kick();
      await r.detail(S1, (x) => x.logged_in === false, 3000);
      await r.detail(S1, (x) => x.logged_in === true, 5000);
      const relogin = sim.received.find((x) => x.at >= kickedAt && x.message.type === "requestLogin")!;
      delays.push(relogin.at - kickedAt);
    }
    expect(delays[0]!).toBeGreaterThanOrEqual(450);
    expect(delays[1]!).toBeGreaterThanOrEqual(950);
    await until(() => sim.loggedIn, "the simulator takes the LoginConfirm");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("no Heading answered for session_timeout_s: log in again; config refreshed every config_refresh_s", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true, config_refresh_s: 1 }, { model: "telestar" });
  try {
    await r.detail(S1, (x) => x.logged_in === true);
    const sim = r.sims[0]!;
    const count = (type: string, since = 0) => sim.received.filter((x) => x.at >= since && x.message.type === type).length;
    // Login fetches config, then every second: two more rounds after the first (the exact schedule
    // is checked with an injected clock in session.test.ts).
    await until(() => count("getVersion") >= 3, "three config rounds", 8000);
    const muted = Date.now();
    sim.muteHeadings = true;
    await until(() => count("requestLogin", muted) > 0, "a new login after the session is lost", 8000);
    const at = sim.received.findIndex((x) => x.at >= muted && x.message.type === "requestLogin");
    const relogin = sim.received[at]!;
    // session_timeout_s = 2 in the rig; the last Heading came at most one interval before muting.
    expect(relogin.at - muted).toBeGreaterThanOrEqual(1500);
    // One LoginConfirm for that login (the headings stay muted, so a later login may follow).
    await until(() => sim.received.slice(at).some((x) => x.message.type === "loginConfirm"), "the re-login is confirmed");
    const rest = sim.received.slice(at + 1);
    const next = rest.findIndex((x) => x.message.type === "requestLogin");
    expect(rest.slice(0, next < 0 ? undefined : next).filter((x) => x.message.type === "loginConfirm")).toHaveLength(1);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a disabled charger is left alone: no login, commands refused", async () => {
  const r = await rig(mosq.url, { charger: [{ serial: S1, password: "123456", disabled: true }] }, { model: "telestar" });
  try {
    const d = await r.detail(S1, (x) => x.disabled === true);
    expect(d.meta_state).toBe("NOT_LOGGED_IN");
    await beaconSentinel(r, r.sims[0]!, S1);
    expect(r.sims[0]!.received).toEqual([]);
    const res = await r.request(S1, "charge_start");
    expect(res.status).toBe("error");
    expect(res.error).toContain("disabled");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
