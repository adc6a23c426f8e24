// The idle collector: one full collection after start-up and one when a busy spell ends, none
// while work goes on at full speed, none for a trickle; during steady work well below the busiest
// ever, one whenever the heap has grown enough. The activity callback is called once per check, which is the
// sentinel the absence checks wait for.
import { expect, test } from "bun:test";
import { IDLE_GC_DEFAULTS, startIdleCollector } from "../../lib/idle-gc.ts";
import { silentLogger } from "../../lib/log.ts";
import { until } from "../support/until.ts";

/** Fast checks, no interval or growth floor: only the activity pattern decides. */
const FAST = { ...IDLE_GC_DEFAULTS, checkMs: 5, minIntervalMs: 0, steadyIntervalMs: 0, pauseFactor: 0, minGrowthBytes: Number.NEGATIVE_INFINITY };

/** An activity counter that grows by `steps[i]` at the i-th check (the last step repeats). */
function counter(steps: number[]): { read: () => number; checks: () => number } {
  let total = 0;
  let calls = 0;
  return {
    read: () => {
      total += steps[Math.min(calls, steps.length - 1)] ?? 0;
      calls++;
      return total;
    },
    checks: () => calls,
  };
}

test("start-up is collected once, when it has been quiet for a moment", async () => {
  const a = counter([0]);
  const c = await startIdleCollector(a.read, silentLogger, FAST);
  try {
    await until(() => c.runs === 1, "the start-up collection");
    const at = a.checks();
    await until(() => a.checks() >= at + 30, "thirty quiet checks more");
    expect(c.runs).toBe(1);
  } finally {
    c.stop();
  }
});

test("a busy spell that ends gets exactly one full collection", async () => {
  // Busy from the first check on: start-up's collection never comes before the spell's.
  const a = counter([500, 800, 700, 0]);
  const c = await startIdleCollector(a.read, silentLogger, FAST);
  try {
    await until(() => c.runs === 1, "a collection after the spell");
    const at = a.checks();
    await until(() => a.checks() >= at + 30, "thirty quiet checks more");
    expect(c.runs).toBe(1);
  } finally {
    c.stop();
  }
});

test("work at full speed is never interrupted by a collection, however long", async () => {
  const a = counter([300]);
  const c = await startIdleCollector(a.read, silentLogger, FAST);
  try {
    await until(() => a.checks() >= 40, "forty busy checks");
    expect(c.runs).toBe(0);
  } finally {
    c.stop();
  }
});

test("a trickle below the burst floor never counts as work", async () => {
  const a = counter([0, FAST.minBurst - 1, 0]);
  const c = await startIdleCollector(a.read, silentLogger, FAST);
  try {
    await until(() => a.checks() >= 40, "forty checks");
    // Start-up's, nothing for the trickle.
    expect(c.runs).toBe(1);
  } finally {
    c.stop();
  }
});

test("a second burst after the first collection gets its own", async () => {
  const a = counter([400, 400, 0, 0, 0, 0, 0, 0, 600, 600, 0]);
  const c = await startIdleCollector(a.read, silentLogger, FAST);
  try {
    await until(() => c.runs === 2, "two collections, one per burst");
    const at = a.checks();
    await until(() => a.checks() >= at + 20, "twenty quiet checks more");
    expect(c.runs).toBe(2);
  } finally {
    c.stop();
  }
});

test("one quiet check inside a busy spell is a lull, not its end", async () => {
  const a = counter([400, 0, 400, 400, 0]);
  // What `runs` was when each check began: the collection comes only after two quiet checks in a row.
  const runsAt: number[] = [];
  let collector: { readonly runs: number } | undefined;
  const c = await startIdleCollector(() => {
    runsAt.push(collector?.runs ?? 0);
    return a.read();
  }, silentLogger, FAST);
  collector = c;
  try {
    // The check after the collection is the one that records it: waiting for `runs` alone can
    // end between the collecting check and the next one (more often when timers run late).
    await until(() => runsAt.includes(1), "a check after the collection after the spell");
    // Calls: 0 start, 1 quiet (lull), 2–3 busy, 4–5 quiet → collected during call 5.
    expect(runsAt.indexOf(1)).toBe(6);
  } finally {
    c.stop();
  }
});

test("steady work well below the busiest is collected whenever the heap has grown", async () => {
  // The fleet connects (2000), then is polled at a steady 300: never a tenth of the spell, so never quiet.
  const a = counter([0, 2000, 300]);
  let heap = 0;
  const c = await startIdleCollector(a.read, silentLogger, { ...FAST, minGrowthBytes: 1000 }, () => (heap += 600));
  try {
    await until(() => c.runs >= 3, "three collections during the steady work");
  } finally {
    c.stop();
  }
});

test("steady work whose heap does not grow is left alone", async () => {
  const a = counter([0, 2000, 300]);
  const c = await startIdleCollector(a.read, silentLogger, { ...FAST, minGrowthBytes: 1000 }, () => 5000);
  try {
    // The first check finds 5000 more than the nothing before: one collection, then no growth.
    await until(() => c.runs === 1, "the one collection of the heap as found");
    const at = a.checks();
    await until(() => a.checks() >= at + 30, "thirty steady checks more");
    expect(c.runs).toBe(1);
  } finally {
    c.stop();
  }
});

test("rates that swing are not steady work", async () => {
  // After 2000, 250 and 600 by turns: never a tenth of the 2000 (not quiet), never within half of one another (not steady).
  let total = 0;
  let calls = 0;
  const c = await startIdleCollector(() => {
    total += calls === 0 ? 0 : calls === 1 ? 2000 : calls % 2 === 0 ? 250 : 600;
    calls++;
    return total;
  }, silentLogger, FAST);
  try {
    await until(() => calls >= 40, "forty checks");
    expect(c.runs).toBe(0);
  } finally {
    c.stop();
  }
});

test("steady work is collected no more often than its interval", async () => {
  const a = counter([0, 2000, 300]);
  // When each check began and how many collections there had been by then.
  const seen: { at: number; runs: number }[] = [];
  let collector: { readonly runs: number } | undefined;
  const c = await startIdleCollector(() => {
    seen.push({ at: Date.now(), runs: collector?.runs ?? 0 });
    return a.read();
  }, silentLogger, { ...FAST, steadyIntervalMs: 60 });
  collector = c;
  try {
    await until(() => (seen.at(-1)?.runs ?? 0) >= 3, "three collections seen by later checks");
    // The checks that first see collections k and k+1 are an interval apart, give or take a check's
    // timer running late (without the interval they would be one check, 5 ms, apart).
    const firstSeen = (k: number) => seen.find((s) => s.runs >= k)?.at ?? Number.NaN;
    expect(firstSeen(3) - firstSeen(2)).toBeGreaterThanOrEqual(60 - 2 * FAST.checkMs);
    expect(firstSeen(2) - firstSeen(1)).toBeGreaterThanOrEqual(60 - 2 * FAST.checkMs);
  } finally {
    c.stop();
  }
});
