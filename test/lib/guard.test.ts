import { expect, test } from "bun:test";
import { CommandError } from "../../lib/errors.ts";
import { ChargeGuard } from "../../lib/guard.ts";

test("currents are only ever lowered: clamped to the maximum, rounded down, refused below the minimum", () => {
  const g = new ChargeGuard({ minA: 6, maxA: 16, switchIntervalMs: 30_000 });
  expect(g.current(10)).toEqual({ amps: 10 });
  expect(g.current(32)).toEqual({ amps: 16, clamped_from: 32 });
  expect(g.current(10.7)).toEqual({ amps: 10, clamped_from: 10.7 });
  expect(() => g.current(5.9)).toThrow(CommandError);
  expect(() => g.current(0)).toThrow("below the minimum 6 A; use enabled:false");
  const ocpp = new ChargeGuard({ minA: 6, maxA: 32, switchIntervalMs: 30_000, allowZero: true, stepA: 0.1 });
  expect(ocpp.current(0)).toEqual({ amps: 0 });
  expect(ocpp.current(12.34)).toEqual({ amps: 12.3, clamped_from: 12.34 });
  expect(() => ocpp.current(3)).toThrow("use 0 to pause or enabled:false");
});

test("switching: redundant switches send nothing and keep the interval; a refused one can be given back", () => {
  let now = 1_000_000;
  const g = new ChargeGuard({ minA: 6, maxA: 16, switchIntervalMs: 30_000, now: () => now });
  expect(g.switching(true, true, "enabling")).toEqual({ redundant: true });
  const on = g.switching(true, false, "enabling");
  expect(on.redundant).toBe(false);
  now += 5_000;
  expect(() => g.switching(false, true, "disabling")).toThrow(/disabling refused: the last on\/off switch was 5 s ago; next allowed in 25 s/);
  // Already off: redundant, no refusal even inside the interval.
  expect(g.switching(false, false, "disabling")).toEqual({ redundant: true });
  if (!on.redundant) on.undo();
  expect(g.switching(false, true, "disabling").redundant).toBe(false);
});

test("stopping can be always allowed; the next start still waits for the interval", () => {
  let now = 0;
  const g = new ChargeGuard({ minA: 6, maxA: 16, switchIntervalMs: 30_000, stopAlwaysAllowed: true, now: () => now });
  g.switching(true, false, "enabling");
  now += 1_000;
  expect(g.switching(false, true, "disabling").redundant).toBe(false);
  now += 1_000;
  expect(() => g.switching(true, false, "enabling")).toThrow(/enabling refused/);
  now += 30_000;
  expect(g.switching(true, false, "enabling").redundant).toBe(false);
});
