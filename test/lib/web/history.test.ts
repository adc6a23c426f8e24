import { expect, test } from "bun:test";
import { PowerHistory, SLOT_MS, SLOTS } from "../../../lib/web/history.ts";

function clock(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

test("a minute's samples are averaged (with the level it started at); later minutes carry the last value", () => {
  const c = clock(1000 * SLOT_MS);
  const h = new PowerHistory(c.now);
  h.record("a", 1000);
  c.t += 10_000;
  h.record("a", 3000);
  expect(h.series("a", 1)).toEqual({ end: 1000, values: [2000] });
  // Three minutes later, nothing reported: the 3000 W level held.
  c.t += 3 * SLOT_MS;
  expect(h.series("a", 4)).toEqual({ end: 1003, values: [2000, 3000, 3000, 3000] });
  // A new sample in a new minute averages with the level the minute started at.
  h.record("a", 0);
  expect(h.series("a", 1)).toEqual({ end: 1003, values: [1500] });
});

test("unknown power is a gap; the ring holds exactly one hour and forgets older minutes", () => {
  const c = clock(5000 * SLOT_MS);
  const h = new PowerHistory(c.now);
  h.record("a", null);
  expect(h.series("a", 2)?.values).toEqual([null, null]);
  for (let i = 0; i < 2 * SLOTS; i++) {
    c.t += SLOT_MS;
    h.record("a", i);
  }
  const s = h.series("a");
  expect(s?.values.length).toBe(SLOTS);
  expect(s?.end).toBe(5000 + 2 * SLOTS);
  // Each minute started at the previous value: (i - 1 + i) / 2, rounded.
  expect(s?.values.at(-1)).toBe(Math.round((2 * SLOTS - 2 + 2 * SLOTS - 1) / 2));
  expect(s?.values[0]).toBe(Math.round((SLOTS - 1 + SLOTS) / 2));
  // A charger silent for longer than the hour shows the held level everywhere, not stale minutes.
  c.t += 5 * SLOTS * SLOT_MS;
  expect(new Set(h.series("a")?.values)).toEqual(new Set([2 * SLOTS - 1]));
  h.forget("a");
  expect(h.series("a")).toBeUndefined();
  expect(h.size).toBe(0);
});
