// Solar PV divert (§11.1) driven by a recorded trace, closed loop through the claims (§10.8).
// Every expected number below was worked out by hand from §11.1; the working is in the comments.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { releaseClaim, resolveTarget, setClaim, type Claim, type ClaimState } from "../../../protocols/openevse/claims.ts";
import { Divert, DIVERT_DEFAULTS, type DivertConfig, type DivertStep, type Published } from "../../../protocols/openevse/divert.ts";

const sampleSchema = z.object({ t_ms: z.number(), solar_w: z.number(), house_w: z.number() }).strict();
type Sample = z.infer<typeof sampleSchema>;
const trace = z
  .object({ description: z.string(), voltage_v: z.number().positive(), samples: z.array(sampleSchema) })
  .strict()
  .parse(JSON.parse(readFileSync(new URL("./fixtures/divert-trace.json", import.meta.url), "utf8")));
const V = trace.voltage_v;

/** The EVSE and claim manager around the divert: a car that always wants charge, so target active ⇒ state 3. */
class Site {
  now = -60_000;
  claims: Claim[] = [];
  state = 3;
  pilot = 32;
  target: ClaimState = "active";
  readonly divert: Divert;

  constructor(config: Partial<DivertConfig>) {
    this.divert = new Divert({ ...DIVERT_DEFAULTS, ...config }, () => this.now);
    this.divert.onEvseState(this.state);
  }

  apply(step: DivertStep | null): Published {
    if (!step) return {};
    if (step.claim?.action === "set") this.claims = setClaim(this.claims, { client: "divert", priority: step.claim.priority, props: step.claim.props });
    if (step.claim?.action === "release") this.claims = releaseClaim(this.claims, "divert");
    const t = resolveTarget(this.claims, { defaultState: "active", configuredMaxA: 32, minA: 6 });
    this.target = t.state;
    this.pilot = t.chargeCurrentA;
    const next = t.state === "active" ? 3 : 254;
    if (next !== this.state) {
      this.state = next;
      this.divert.onEvseState(next);
    }
    return step.publish;
  }

  /** Amps the car draws: the pilot while charging. */
  get amps(): number {
    return this.state === 3 ? this.pilot : 0;
  }

  sample(s: Sample, kind: "grid" | "solar"): Published {
    this.now = s.t_ms;
    // A grid meter sees the house, the PV and the EV; + import, − export.
    const watts = kind === "grid" ? s.house_w - s.solar_w + this.amps * V : s.solar_w;
    const ctx = { voltage: V, amps: this.amps, minCurrentA: 6, pilotA: this.pilot, targetState: this.target, evseState: this.state };
    return this.apply(this.divert.input(kind, watts, ctx));
  }
}

// Grid mode, r = 1.1, τa = 20 s, τd = 600 s, Tmin = 600 s, h = 0.5 A, I_min = 6 A, V = 240 V.
//   reserve = 1000 · (1.1 − 1) / 240 = 0.41667 A;  trigger = 6 · min(1, 1.1) = 6 A; start at ≥ 6.5 A.
//   The EV's draw is in the grid reading and is subtracted again, so A_av = (solar − house)/240 − 0.41667:
//   2560 W surplus → 10.25 A;  1840 W → 7.25 A;  ≤ 100 W → 0 A.
//   Attack over 10 s: α = 1 − e^(−10/20) = 0.393469. Decay over 10 s: α = 1 − e^(−10/600) = 0.016529.
// Expected per sample: smoothed S, charge_rate, target (state and pilot), divert_active, min_charge_end.
const EXPECTED: [number, number, number, "disabled" | number, boolean, number][] = [
  // t=0: first filter call, Δt = 0 → S stays 0. Rate ⌊10.25⌋ = 10. Claim stays disabled.
  [0, 0, 10, "disabled", false, 0],
  // t=10: S = 0 + 0.393469 · (10.25 − 0) = 4.03306 < 6.5.
  [10_000, 4.03306, 10, "disabled", false, 0],
  // t=20: S = 10.25 · (1 − e^(−1)) = 10.25 · 0.632121 = 6.47924: above the 6 A trigger, below 6.5: hysteresis, no start.
  [20_000, 6.47924, 10, "disabled", false, 0],
  // t=30: S = 10.25 · (1 − e^(−1.5)) = 10.25 · 0.776870 = 7.96292 ≥ 6.5 → claim active at 10 A (priority 50).
  //       divert_active is still false: the gateway compares with the target of the previous evaluation.
  //       The EVSE starts charging now: minimum charge time ends at 30 + 600 = 630 s.
  [30_000, 7.96292, 10, 10, false, 0],
  // t=40: A_av = 7.25 < S → decay: S = 7.96292 + 0.016529 · (7.25 − 7.96292) = 7.95113. Rate 7 → pilot 7.
  //       min_charge_end is read before divert_active turns true in this step → 0.
  [40_000, 7.95113, 7, 7, true, 0],
  // t=50: no surplus, A_av = 0: S = 7.95113 · (1 − 0.016529) = 7.81971. Rate 0 → pilot held at the 6 A minimum.
  //       Minimum charge time left: 630 − 50 = 580 s.
  [50_000, 7.81971, 0, 6, true, 580],
  // t=350 (Δt = 300): S = 7.81971 · e^(−300/600) = 7.81971 · 0.606531 = 4.74289 ≤ 6, but 630 − 350 = 280 s of
  //       minimum charge time remain → no stop.
  [350_000, 4.74289, 0, 6, true, 280],
  // t=650: S = 4.74289 · 0.606531 = 2.87671 ≤ 6 and 650 ≥ 630 → claim disabled (priority 10). divert_active
  //       still reports the previous target (true) in this step.
  [650_000, 2.87671, 0, "disabled", true, 0],
  // t=660: sun again, A_av = 10.25 > S → attack: S = 2.87671 + 0.393469 · (10.25 − 2.87671) = 5.77787 < 6.5.
  [660_000, 5.77787, 10, "disabled", false, 0],
  // t=670: S = 5.77787 + 0.393469 · (10.25 − 5.77787) = 7.53752 ≥ 6.5 → active at 10 A; charging from 670 (ends 1270).
  [670_000, 7.53752, 10, 10, false, 0],
  // t=770 (Δt = 100), A_av = 0: S = 7.53752 · e^(−100/600) = 7.53752 · 0.846482 = 6.38037: below 6.5 but above 6:
  //       the hysteresis band, where nothing changes — not even the claim's current, which is only refreshed
  //       at ≥ 6.5 A. So the pilot stays at the 10 A claimed at t=670 although rate is now 0.
  [770_000, 6.38037, 0, 10, true, 0],
  // t=1300 (Δt = 530): S = 6.38037 · e^(−530/600) = 6.38037 · 0.413403 = 2.63766 ≤ 6, 1300 ≥ 1270 → stop.
  [1_300_000, 2.63766, 0, "disabled", true, 0],
  // t=1300.4: Δt = ⌊400 ms / 1000⌋ = 0 → S does not move (§14 item 10), even though A_av jumps to 10.25.
  [1_300_400, 2.63766, 10, "disabled", false, 0],
];

describe("divert over the recorded trace", () => {
  test("grid mode: smoothed current, charge rate and the charge-current trajectory", () => {
    const site = new Site({ type: "grid" });
    site.now = 0;
    const enter = site.apply(site.divert.setMode(2));
    expect(enter).toEqual({ divertmode: 2, divert_active: false, charge_rate: 0, available_current: 0, smoothed_available_current: 0 });
    expect(site.state).toBe(254);
    expect(trace.samples).toHaveLength(EXPECTED.length);
    trace.samples.forEach((s, i) => {
      const row = EXPECTED[i];
      if (!row) throw new Error(`no expectation for sample ${i}`);
      const [t, smoothed, rate, target, active, minEnd] = row;
      expect(s.t_ms).toBe(t);
      const pilotBefore = site.pilot;
      const p = site.sample(s, "grid");
      const where = `t=${s.t_ms / 1000}s`;
      expect([where, p.smoothed_available_current]).toEqual([where, expect.closeTo(smoothed, 4)]);
      expect([where, p.charge_rate]).toEqual([where, rate]);
      expect([where, site.target === "disabled" ? "disabled" : site.pilot]).toEqual([where, target]);
      expect([where, p.divert_active, p.min_charge_end]).toEqual([where, active, minEnd]);
      // The rest of §10.7 on every input in eco mode.
      expect(p).toMatchObject({ divert_update: 0, trigger_current: 6, voltage: 240, pilot: pilotBefore });
      expect(typeof p.grid_ie).toBe("number");
    });
  });

  test("leaving eco releases the divert claim; normal mode only echoes the input", () => {
    const site = new Site({ type: "grid" });
    site.now = 0;
    site.apply(site.divert.setMode(2));
    expect(site.claims).toHaveLength(1);
    expect(site.apply(site.divert.setMode(1))).toEqual({ divertmode: 1, divert_active: false });
    expect(site.claims).toHaveLength(0);
    expect(site.state).toBe(3);
    expect(site.divert.setMode(1)).toEqual({ claim: null, publish: {} });
    expect(site.sample({ t_ms: 5000, solar_w: 0, house_w: 1077 }, "grid")).toEqual({ divert_update: 0, grid_ie: 1077 - 0 + 32 * 240 });
  });
});

describe("solar mode and the ratio", () => {
  test("A_av = solar / V with no reserve; trigger = I_min · r; the +1 only when the fraction exceeds r", () => {
    // r = 0.5: trigger = 6 · 0.5 = 3 A, start at ≥ 3.5 A.
    const site = new Site({ type: "solar", pvRatio: 0.5, attackSmoothingS: 0 });
    site.now = 0;
    site.apply(site.divert.setMode(2));
    // τ = 0 → α = 1: S follows A_av at once. 1560 W / 240 V = 6.5 A: fraction 0.5 is not > 0.5 → rate 6.
    let p = site.sample({ t_ms: 1000, solar_w: 1560, house_w: 9999 }, "solar");
    expect(p).toMatchObject({ solar: 1560, available_current: 6.5, smoothed_available_current: 6.5, charge_rate: 6, trigger_current: 3 });
    expect(site.pilot).toBe(6);
    // 1570 W / 240 V = 6.5417 A: fraction 0.5417 > 0.5 → rate 7.
    p = site.sample({ t_ms: 2000, solar_w: 1570, house_w: 0 }, "solar");
    expect(p.charge_rate).toBe(7);
    expect(site.pilot).toBe(7);
    // A grid sample is not this divert's input.
    expect(site.divert.input("grid", -5000, { voltage: V, amps: 0, minCurrentA: 6, pilotA: 7, targetState: "active", evseState: 3 })).toBeNull();
    expect(site.divert.solar).toBe(1570);
  });

  test("three-phase: the voltage is tripled in the formula and in what is published", () => {
    const site = new Site({ type: "solar", threePhase: true });
    site.now = 0;
    site.apply(site.divert.setMode(2));
    // 7200 W / (3 · 240 V) = 10 A.
    const p = site.sample({ t_ms: 1000, solar_w: 7200, house_w: 0 }, "solar");
    expect(p).toMatchObject({ voltage: 720, available_current: 10, charge_rate: 10 });
  });
});
