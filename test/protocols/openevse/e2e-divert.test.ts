// Solar divert (§11.1) and the current shaper (§11.2) through the bridge, fed by MQTT input topics
// as an energy monitor publishes them; the controller follows the claims. Smoothing is off
// (τ = 0) so each sample's effect is exact; the numbers are worked out in the comments.
import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { E2E_TIMEOUT_MS, ID, type Rig, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

async function charging(r: Rig): Promise<void> {
  await r.probe.wait(`${r.base}/${ID}/availability`, (m) => m.text === "online");
  await r.host.plugIn();
  await r.host.carRequestsCharge(true);
}

test("divert in grid mode: surplus starts charging at the available current, import stops it", async () => {
  const grid = `in${process.pid}/grid`;
  const r = await rig(mosq.url, { grid_ie_topic: grid, divert_attack_smoothing_s: 0, divert_decay_smoothing_s: 0, divert_min_charge_time_s: 0 });
  try {
    await charging(r);
    await until(() => r.host.sim.state === 3, "charging in normal mode");
    let since = r.probe.mark();
    await r.compat("divertmode/set", "2");
    expect(await r.value("divertmode", (v) => v === "2", since)).toBe("2");
    expect(await r.value("charge_rate", undefined, since)).toBe("0");
    // No surplus yet: the divert claim pauses charging.
    await until(() => r.host.sim.state === 254, "eco without surplus pauses");

    // −3000 W at 230 V, EV idle: I = −13.043 A; reserve = 1000·0.1/230 = 0.435 A; A_av = 12.609 A ≥ 6.5 → 12 A.
    since = r.probe.mark();
    await r.probe.publish(grid, "-3000");
    expect(await r.value("grid_ie", undefined, since)).toBe("-3000");
    expect(await r.value("charge_rate", undefined, since)).toBe("12");
    expect(await r.value("available_current", undefined, since)).toBe("12.609");
    expect(await r.value("trigger_current", undefined, since)).toBe("6");
    expect(await r.value("divert_update", undefined, since)).toBe("0");
    await until(() => r.host.sim.state === 3 && r.host.sim.model.pilotA === 12, "charging at the divert rate");
    await r.value("amp", (v) => v === "12000", since);

    // +500 W with the EV drawing 12 A: I = 2.174 − 12 = −9.826 A; A_av = 9.391 A → 9 A; now divert_active.
    since = r.probe.mark();
    await r.probe.publish(grid, "500");
    expect(await r.value("charge_rate", undefined, since)).toBe("9");
    expect(await r.value("divert_active", undefined, since)).toBe("true");
    await until(() => r.host.sim.model.pilotA === 9, "pilot lowered to 9 A");
    await r.value("amp", (v) => v === "9000", since);
    expect(r.sent()).toContain("$SC 9 V");

    // +3000 W import with 9 A drawn: I = 13.043 − 9 > 0 → A_av = 0 ≤ trigger, min charge time 0 → stop.
    since = r.probe.mark();
    await r.probe.publish(grid, "3000");
    expect(await r.value("available_current", undefined, since)).toBe("0");
    await until(() => r.host.sim.state === 254, "divert stops charging");
    // A reading that is not a number is refused, not taken as 0 W.
    since = r.probe.mark();
    await r.probe.publish(grid, "n/a");
    await r.probe.publish(grid, "-3000");
    expect(await r.value("grid_ie", undefined, since)).toBe("-3000");
    expect(r.probe.messages.filter((m) => m.seq >= since && m.topic === `${r.b}/grid_ie`).map((m) => m.text)).toEqual(["-3000"]);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("current shaper: no site power pauses (failsafe), samples cap the current, shaper/set 0 releases", async () => {
  const live = `in${process.pid}/live`;
  const r = await rig(mosq.url, { live_pwr_topic: live, shaper_max_power_w: 5000 });
  try {
    await charging(r);
    const paused = r.probe.mark();
    // Failsafe: no live power yet → the shaper's claim disables charging.
    await until(() => r.host.sim.state === 254, "the shaper's failsafe pause");
    // The shaper adds the EV's present current: wait until the bridge has polled the pause (0 A).
    await r.value("amp", (v) => v === "0", paused);
    // 1000 W, EV idle: I_max = (5000 − 1000)/230 + 0 = 17.39 A → max_current 17.
    let since = r.probe.mark();
    await r.probe.publish(live, "1000");
    await r.value("shaper_live_pwr", (v) => v === "1000", since);
    expect(await r.value("shaper_cur", (v) => v !== "0", since)).toBe("17.391");
    expect(await r.value("shaper_max_pwr", undefined, since)).toBe("5000");
    await until(() => r.host.sim.state === 3 && r.host.sim.model.pilotA === 17, "charging at the shaper's cap");
    await r.value("amp", (v) => v === "17000", since);
    // 6000 W with 17 A drawn: I_max = −1000/230 + 17 = 12.65 A → 12.
    since = r.probe.mark();
    await r.probe.publish(live, "6000");
    expect(await r.value("shaper_cur", (v) => v !== "17.391", since)).toBe("12.652");
    await until(() => r.host.sim.model.pilotA === 12, "pilot lowered to 12 A");
    since = r.probe.mark();
    await r.compat("shaper/set", "0");
    expect(await r.value("shaper", (v) => v === "0", since)).toBe("0");
    await until(() => r.host.sim.model.pilotA === 32, "the shaper's cap released");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
