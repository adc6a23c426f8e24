// Memory rows every protocol section reports the same way, so a regression shows in one place:
// KiB per connected idle charger at each fleet size, and RSS before, during and after the
// section's heaviest load.
import type { Harness, Metric, RunningBridge } from "./harness.ts";
import { breakdown } from "./breakdown.ts";
import { now, round, sleep } from "./stats.ts";

/**
 * Fleet sizes the per-charger rows are taken at (the goal: ≤ 20 KiB at both);
 * BENCH_FLEET_SIZES=2000 (comma-separated) measures others, e.g. to compare with an older row.
 */
export const FLEET_SIZES: readonly number[] = fleetSizes(process.env.BENCH_FLEET_SIZES);

function fleetSizes(spec: string | undefined): readonly number[] {
  if (!spec) return [100, 1000];
  const sizes = spec.split(",").map(Number);
  if (!sizes.every((n) => Number.isInteger(n) && n >= 2)) throw new Error(`BENCH_FLEET_SIZES: expected fleet sizes ≥ 2 separated by commas, got ${JSON.stringify(spec)}`);
  return sizes;
}

/** How long after a load stops its "after" RSS is read (the median of readings up to then). */
const AFTER_LOAD_MS = 10_000;

export interface FleetGrowth {
  /** Chargers the bridge reports in (online, logged in, …) once the wait ended. */
  online: number;
  /** Whether all `total` got in before the wait gave up. */
  all: boolean;
  /** Say why not, when not. */
  note?: string;
}

export interface FleetLabels {
  /** Row key prefix, e.g. `dehne`. */
  key: string;
  /** Protocol as printed, e.g. `Dehne`. */
  name: string;
  /** What one of them is called, e.g. `charger`, `charge point`. */
  unit: string;
}

/**
 * RSS with no charger, with one, then after `grow(n)` has brought the fleet up to each size in
 * turn. The first charger pays for what is made once (code compiled for its paths, buffers and
 * pools that then exist): its row shows that. The per-charger rows are what each further one adds,
 * ΔRSS from one charger / (n − 1), so they do not depend on how many share the one-time cost.
 * `grow` connects the missing ones and waits until the bridge reports them in; `settle` lets
 * their first exchanges pass before the reading.
 */
export async function fleetMemory(h: Harness, bridge: RunningBridge, l: FleetLabels, sizes: readonly number[], grow: (total: number) => Promise<FleetGrowth>, settle: () => Promise<void>): Promise<Metric[]> {
  const none = await h.settledRss(bridge, 3, 500);
  const first = await grow(1);
  await settle();
  const one = first.online === 1 ? await h.settledRss(bridge, 3, 500) : undefined;
  await report(bridge, l.key, 1);
  const out: Metric[] = [
    { key: `${l.key}_rss_0_mib`, label: `${l.name} bridge RSS, no ${l.unit}s`, value: round(none), unit: "MiB" },
    { key: `${l.key}_first_kib`, label: `${l.name} RSS the first ${l.unit} adds (one-time costs included)`, value: round(one !== undefined && none !== undefined ? (one - none) * 1024 : undefined), unit: "KiB", ...(one === undefined ? { note: first.note ?? "the first did not get in" } : {}) },
  ];
  for (const n of sizes) {
    const t0 = now();
    const g = await grow(n);
    const connectS = (now() - t0) / 1000;
    await settle();
    const rss = await h.settledRss(bridge, 5, 600);
    await report(bridge, l.key, g.online);
    // Below a tenth of the fleet in, ΔRSS / n says nothing.
    const enough = g.online >= n / 10 && one !== undefined;
    const per = enough && rss !== undefined && one !== undefined ? ((rss - one) * 1024) / (g.online - 1) : undefined;
    const short = g.all ? undefined : (g.note ?? `only ${g.online}/${n} in after ${round(connectS)} s`);
    out.push(
      { key: `${l.key}_online_${n}`, label: `${l.name} ${l.unit}s in (of ${n})`, value: g.online, unit: "", ...(short ? { note: short } : {}) },
      { key: `${l.key}_rss_${n}_mib`, label: `${l.name} bridge RSS, ${n} idle ${l.unit}s`, value: round(rss), unit: "MiB" },
      { key: `${l.key}_kib_per_charger_${n}`, label: `${l.name} memory per further idle ${l.unit}, ${n} connected (ΔRSS from 1 / (n − 1))`, value: round(per), unit: "KiB", ...(enough ? {} : { note: "not measured: too few got in" }) },
    );
  }
  return out;
}

async function report(bridge: RunningBridge, key: string, n: number): Promise<void> {
  const b = await breakdown(bridge.process.pid, () => bridge.process.signal("SIGUSR2"));
  if (b) process.stderr.write(`BREAKDOWN ${JSON.stringify({ key, n, ...b })}\n`);
}

/**
 * RSS just before `load` (chargers connected, nothing sent yet), its peak while the load runs
 * (sampled every 200 ms), and AFTER_LOAD_MS after the load stopped with the same chargers still
 * connected. A bridge that keeps what a burst made it allocate shows as "after" far above "before".
 */
export async function aroundLoad<T>(h: Harness, bridge: RunningBridge, l: FleetLabels, what: string, load: () => Promise<T>): Promise<{ result: T; metrics: Metric[] }> {
  const before = await h.settledRss(bridge, 3, 500);
  let peak = before ?? 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, bridge.rss() ?? 0);
  }, 200);
  let result: T;
  try {
    result = await load();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, bridge.rss() ?? 0);
  await sleep(AFTER_LOAD_MS / 2);
  const after = await h.settledRss(bridge, 5, AFTER_LOAD_MS / 10);
  const pct = before !== undefined && after !== undefined ? ((after - before) / before) * 100 : undefined;
  return {
    result,
    metrics: [
      { key: `${l.key}_load_rss_before_mib`, label: `${l.name} RSS before the load (${what})`, value: round(before), unit: "MiB" },
      { key: `${l.key}_load_rss_peak_mib`, label: `${l.name} RSS peak during the load`, value: round(peak), unit: "MiB" },
      { key: `${l.key}_load_rss_after_mib`, label: `${l.name} RSS ${AFTER_LOAD_MS / 1000} s after the load`, value: round(after), unit: "MiB" },
      { key: `${l.key}_load_rss_after_pct`, label: `${l.name} RSS after the load vs before (goal ≤ +20 %)`, value: round(pct, 0), unit: "%" },
    ],
  };
}
