// §10.8: per-field priority, the current formula, auto-release, incremental properties.

import { expect, test } from "bun:test";
import { CLIENT, mergeProps, PRIORITY, releaseAutoRelease, releaseClaim, resolveTarget, setClaim, type Claim } from "../../../protocols/openevse/claims.ts";

const LIMITS = { defaultState: "active" as const, configuredMaxA: 32, minA: 6 };

test("no claims: the default state at the configured maximum", () => {
  expect(resolveTarget([], LIMITS)).toEqual({ state: "active", chargeCurrentA: 32, winners: { state: null, charge_current: null, max_current: null } });
  expect(resolveTarget([], { ...LIMITS, defaultState: "disabled" }).state).toBe("disabled");
});

test("each field goes to the highest priority that sets it; max_current caps whoever asked for the current", () => {
  let claims: Claim[] = [];
  claims = setClaim(claims, { client: CLIENT.divert, priority: PRIORITY.divert, props: { state: "active", charge_current: 14 } });
  claims = setClaim(claims, { client: CLIENT.mqtt, priority: PRIORITY.mqtt, props: { max_current: 10 } });
  // Divert's 14 A is capped by the MQTT claim's 10 A although divert has the lower priority.
  expect(resolveTarget(claims, LIMITS)).toEqual({ state: "active", chargeCurrentA: 10, winners: { state: "divert", charge_current: "divert", max_current: "mqtt" } });
  // The manual override (1000) wins state and current; the cap still applies.
  claims = setClaim(claims, { client: CLIENT.manual, priority: PRIORITY.manual, props: { state: "disabled", charge_current: 20, auto_release: true } });
  expect(resolveTarget(claims, LIMITS)).toMatchObject({ state: "disabled", chargeCurrentA: 10, winners: { state: "manual", charge_current: "manual" } });
  // The shaper (5000) sets only max_current: it replaces the MQTT cap.
  claims = setClaim(claims, { client: CLIENT.shaper, priority: PRIORITY.safety, props: { max_current: 16 } });
  expect(resolveTarget(claims, LIMITS)).toMatchObject({ chargeCurrentA: 16, winners: { max_current: "shaper" } });
  // The EV leaves: the auto-release override goes, divert is back in charge of the state.
  claims = releaseAutoRelease(claims);
  expect(resolveTarget(claims, LIMITS)).toMatchObject({ state: "active", chargeCurrentA: 14 });
  claims = releaseClaim(claims, CLIENT.shaper);
  expect(resolveTarget(claims, LIMITS).chargeCurrentA).toBe(10);
});

test("current: configured maximum caps, whole amps, raised to the minimum", () => {
  const one = (props: Claim["props"]) => resolveTarget([{ client: "x", priority: 1, props }], LIMITS).chargeCurrentA;
  expect(one({ charge_current: 40 })).toBe(32);
  expect(one({ charge_current: 2 })).toBe(6);
  expect(one({ charge_current: 0 })).toBe(6);
  expect(one({ charge_current: 12.9 })).toBe(12);
  expect(one({ max_current: -3 })).toBe(6);
  expect(one({ charge_current: Number.NaN })).toBe(6);
});

test("equal priorities: the earlier claim wins, and a replaced claim keeps its place", () => {
  let claims: Claim[] = [];
  claims = setClaim(claims, { client: "a", priority: 500, props: { state: "disabled" } });
  claims = setClaim(claims, { client: "b", priority: 500, props: { state: "active" } });
  expect(resolveTarget(claims, LIMITS).winners.state).toBe("a");
  claims = setClaim(claims, { client: "a", priority: 500, props: { state: "disabled", charge_current: 8 } });
  expect(claims.map((c) => c.client)).toEqual(["a", "b"]);
  expect(resolveTarget(claims, LIMITS).winners.state).toBe("a");
});

test("properties accumulate between messages; \"clear\" removes one", () => {
  let p = mergeProps({}, { state: "active", charge_current: 16 });
  p = mergeProps(p, { max_current: 20 });
  expect(p).toEqual({ state: "active", charge_current: 16, max_current: 20 });
  p = mergeProps(p, { charge_current: "clear", state: "clear", auto_release: false });
  expect(p).toEqual({ max_current: 20, auto_release: false });
});
