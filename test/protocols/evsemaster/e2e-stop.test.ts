// `enabled: false` end to end: the stop counts only once the charger's own status shows the output
// off (within stop_verify_s); otherwise the reply is an error that says what the status shows.

import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { E2E_TIMEOUT_MS, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";
const VERIFY_S = 2;

/** A charging session, started through the bridge or (`byCard`) at the charger itself, which claims no cooldown. */
async function chargingRig(section: Record<string, unknown> = {}, byCard = false) {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true, stop_verify_s: VERIFY_S, ...section }, { model: "bs20" });
  await r.detail(S1, (x) => x.logged_in === true);
  if (byCard) {
    const now = Date.now();
    r.sims[0]!.state.start({ lineId: 2, userId: "card", chargeId: "CARD1", isReservation: false, startTime: 0, startType: 1, chargeType: 1, maxDurationMin: null, maxEnergyKwh: null, param3: 0xffff, maxCurrentA: 16 }, now, now);
  } else expect(await r.set(S1, { enabled: true })).toMatchObject({ status: "ok" });
  await r.state(S1, (x) => x.status === "charging" && (x.power_w as number) > 1000 && x.enabled === true);
  return r;
}

const stops = (r: Awaited<ReturnType<typeof rig>>) => r.sims[0]!.received.filter((x) => x.message.type === "chargeStop");

test("a stop is confirmed by the next status: output off, 0 W; the reply says so", async () => {
  const r = await chargingRig();
  try {
    const off = await r.set(S1, { enabled: false });
    expect(off).toMatchObject({ status: "ok", data: { enabled: { stopped: true, stop_result: 1, confirmed_by: "status", power_w: 0 } } });
    const data = off.data as { enabled: { took_s: number } };
    expect(data.enabled.took_s).toBeLessThan(VERIFY_S);
    expect(r.sims[0]!.state.charging).toBe(false);
    await r.state(S1, (x) => x.enabled === false && x.power_w === 0);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a charger that acknowledges the stop but keeps charging: error after stop_verify_s, naming what its status shows", async () => {
  const r = await chargingRig({ cooldown_s: 30 }, true);
  try {
    r.sims[0]!.ignoreStop = true;
    const t0 = Date.now();
    const off = await r.set(S1, { enabled: false, current_limit_a: 10 });
    const took = Date.now() - t0;
    expect(off.status).toBe("error");
    expect(off.error).toMatch(new RegExp(`^the charger acknowledged the stop, but ${VERIFY_S} s later its status still shows output on, state 14, \\d+ W .*energy may still flow$`));
    expect(took).toBeGreaterThanOrEqual(VERIFY_S * 1000 - 100);
    expect(took).toBeLessThan(VERIFY_S * 1000 + 2000);
    // The stop went out before the current setting; the failed stop left the current untouched.
    expect(r.sims[0]!.state.maxCurrentA).toBe(16);
    expect((await r.state(S1, () => true)).enabled).toBe(true);
    // Nothing switched, so the cooldown does not block the retry (it would for a real switch).
    r.sims[0]!.ignoreStop = false;
    const retry = await r.set(S1, { enabled: false });
    expect(retry).toMatchObject({ status: "ok", data: { enabled: { stopped: true, confirmed_by: "status" } } });
    expect(stops(r)).toHaveLength(2);
    await r.state(S1, (x) => x.enabled === false);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("a charger that stops without answering 0x0008: its status proves the stop", async () => {
  const r = await chargingRig();
  try {
    r.sims[0]!.noStopResponse = true;
    const off = await r.set(S1, { enabled: false });
    expect(off).toMatchObject({ status: "ok", data: { enabled: { stopped: true, stop_result: null, stop_response: "none", confirmed_by: "status", power_w: 0 } } });
    expect(r.sims[0]!.state.charging).toBe(false);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
