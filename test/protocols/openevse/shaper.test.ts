// Current shaper (§11.2): cap from site power, pause below the minimum, slow envelope while paused,
// the pause behaviour of §14 item 9, and the stale-data failsafe. Numbers worked out by hand.

import { expect, test } from "bun:test";
import { PRIORITY } from "../../../protocols/openevse/claims.ts";
import { Shaper, SHAPER_DEFAULTS, type ShaperStep } from "../../../protocols/openevse/shaper.ts";

// P_max = 7360 W, 230 V single phase, I_min = 6 A, smoothing τ = 60 s, min pause 300 s, data max interval 120 s.
const V = 230;

function rig(): { shaper: Shaper; at: (s: number) => void } {
  let now = 0;
  const shaper = new Shaper({ ...SHAPER_DEFAULTS, maxPowerW: 7360 }, () => now);
  return { shaper, at: (s) => void (now = s * 1000) };
}

function claimOf(step: ShaperStep): unknown {
  return step.claim?.action === "set" ? { priority: step.claim.priority, ...step.claim.props } : step.claim;
}

test("cap, pause, slow envelope, early resume (§14 item 9), release of the pause, failsafe", () => {
  const { shaper, at } = rig();
  // No data yet: the failsafe pauses at priority 1100.
  at(2);
  expect(claimOf(shaper.tick(6))).toEqual({ priority: PRIORITY.limit, state: "disabled" });
  // 5000 W, EV idle: I_max = (7360 − 5000)/230 + 0 = 10.2609 → claim max_current ⌊10.26⌋ = 10 at 5000, no state.
  at(3);
  shaper.livePower(5000, { voltage: V, amps: 0, solarW: 0 });
  at(4);
  let step = shaper.tick(6);
  expect(claimOf(step)).toEqual({ priority: PRIORITY.safety, max_current: 10 });
  expect(step.publish).toEqual({ shaper: 1, shaper_live_pwr: 5000, shaper_smoothed_live_pwr: 5000, shaper_max_pwr: 7360, shaper_cur: expect.closeTo(10.2609, 4), shaper_updated: true });
  // 7000 W with the EV at 10 A: (360)/230 + 10 = 11.5652 → 11.
  at(5);
  shaper.livePower(7000, { voltage: V, amps: 10, solarW: 0 });
  at(6);
  expect(claimOf(shaper.tick(6))).toEqual({ priority: PRIORITY.safety, max_current: 11 });
  // Nothing new at the next tick: no claim, nothing published.
  at(7);
  expect(shaper.tick(6)).toEqual({ claim: null, publish: {} });
  // 9000 W with the EV at 11 A: (−1640)/230 + 11 = 3.8696 < 6 → pause (state disabled); the pause starts at t=8.
  shaper.livePower(9000, { voltage: V, amps: 11, solarW: 0 });
  at(8);
  expect(claimOf(shaper.tick(6))).toEqual({ priority: PRIORITY.safety, max_current: 3, state: "disabled" });
  // Paused, load 6000 W: the envelope falls only through the filter; its first call has Δt = 0, so it stays
  // at 9000: I_max = (7360 − 9000)/230 + 0 = −7.13 → still paused, max_current held at 0 (not negative).
  at(9);
  shaper.livePower(6000, { voltage: V, amps: 0, solarW: 0 });
  at(10);
  step = shaper.tick(6);
  expect(claimOf(step)).toEqual({ priority: PRIORITY.safety, max_current: 0, state: "disabled" });
  expect(step.publish.shaper_smoothed_live_pwr).toBe(9000);
  // t=29 (Δt 20 s): 9000 + (1 − e^(−20/60)) · (6000 − 9000) = 9000 − 0.283469 · 3000 = 8149.59 → (7360 − 8149)/230 = −3.43.
  at(29);
  shaper.livePower(6000, { voltage: V, amps: 0, solarW: 0 });
  at(30);
  step = shaper.tick(6);
  expect(step.claim).toBeNull();
  expect(step.publish.shaper_smoothed_live_pwr).toBeCloseTo(8149.59, 2);
  // t=129 (Δt 100 s): 8149.59 − (1 − e^(−100/60)) · 2149.59 = 8149.59 − 0.811124 · 2149.59 = 6406.01 → (7360 − 6406)/230 = 4.148.
  at(129);
  shaper.livePower(6000, { voltage: V, amps: 0, solarW: 0 });
  at(130);
  step = shaper.tick(6);
  expect(claimOf(step)).toEqual({ priority: PRIORITY.safety, max_current: 4, state: "disabled" });
  expect(step.publish.shaper_cur).toBeCloseTo(4.148, 3);
  // t=249 (Δt 120 s), load 5000 W: 6406.01 − (1 − e^(−2)) · 1406.01 = 6406.01 − 0.864665 · 1406.01 = 5190.28
  //   → (7360 − 5190)/230 = 9.4348 ≥ 6. Only 242 s of the 300 s minimum pause have passed, so the pause timer
  //   stays — but the claim carries no state any more, so charging resumes at 9 A anyway (§14 item 9).
  at(249);
  shaper.livePower(5000, { voltage: V, amps: 0, solarW: 0 });
  at(250);
  expect(claimOf(shaper.tick(6))).toEqual({ priority: PRIORITY.safety, max_current: 9 });
  // t=319 (Δt 70 s), EV at 9 A: 5190.28 − (1 − e^(−70/60)) · 190.28 = 5059.25 → (7360 − 5059)/230 + 9 = 19.004.
  //   Now 312 s ≥ 300 s and 19.004 − 6 ≥ 0.5: the pause timer is cleared, the envelope goes back to the live value.
  at(319);
  shaper.livePower(5000, { voltage: V, amps: 9, solarW: 0 });
  at(320);
  expect(claimOf(shaper.tick(6))).toEqual({ priority: PRIORITY.safety, max_current: 19 });
  // Not paused: the live value is used directly. 6000 W at 19 A: (1360)/230 + 19 = 24.913 → 24.
  at(321);
  shaper.livePower(6000, { voltage: V, amps: 19, solarW: 0 });
  at(322);
  step = shaper.tick(6);
  expect(claimOf(step)).toEqual({ priority: PRIORITY.safety, max_current: 24 });
  expect(step.publish.shaper_smoothed_live_pwr).toBe(6000);
  // Silence: 120 s after the last data nothing happens yet; after more than 120 s the failsafe pauses.
  at(442);
  expect(shaper.tick(6)).toEqual({ claim: null, publish: {} });
  at(444);
  step = shaper.tick(6);
  expect(claimOf(step)).toEqual({ priority: PRIORITY.limit, state: "disabled" });
  expect(step.publish).toMatchObject({ shaper_updated: false, shaper_smoothed_live_pwr: 6000 });
  // Still silent: the claim is already a pause, nothing more to say.
  at(446);
  expect(shaper.tick(6)).toEqual({ claim: null, publish: {} });
  // shaper/set 0: the claim goes.
  expect(shaper.setEnabled(false)).toEqual({ claim: { action: "release" }, publish: { shaper: 0 } });
  expect(shaper.tick(6)).toEqual({ claim: null, publish: {} });
});

test("PV generation raises the budget; three-phase divides by 3·V", () => {
  let now = 0;
  const one = new Shaper({ ...SHAPER_DEFAULTS, maxPowerW: 7360 }, () => now);
  one.livePower(9000, { voltage: V, amps: 0, solarW: 2000 });
  // (7360 + 2000 − 9000)/230 = 1.565.
  expect(one.currentCap).toBeCloseTo(1.565, 3);
  const three = new Shaper({ ...SHAPER_DEFAULTS, maxPowerW: 22080, threePhase: true }, () => now);
  three.livePower(11040, { voltage: V, amps: 0, solarW: 0 });
  // (22080 − 11040)/(3 · 230) = 16.
  expect(three.currentCap).toBe(16);
  now = 2000;
  expect(claimOf(three.tick(6))).toEqual({ priority: PRIORITY.safety, max_current: 16 });
});

test("a disabled shaper claims nothing", () => {
  const shaper = new Shaper({ ...SHAPER_DEFAULTS, maxPowerW: 7360 }, () => 0, false);
  shaper.livePower(100_000, { voltage: V, amps: 0, solarW: 0 });
  expect(shaper.tick(6)).toEqual({ claim: null, publish: {} });
  expect(shaper.setEnabled(true).publish).toEqual({ shaper: 1 });
  expect(claimOf(shaper.tick(6))).toEqual({ priority: PRIORITY.safety, max_current: 0, state: "disabled" });
});
