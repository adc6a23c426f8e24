// Full collections when the bridge falls quiet after a burst of work. Left alone, Bun's and Deno's
// collectors keep the memory a burst made them grow into (measured: +25–75 % RSS ten seconds after
// a burst); one full collection once the burst is over gives most of it back. Never during the
// work itself: a full collection stops the one JavaScript thread for tens of milliseconds per
// thousand chargers, which is only free when nothing is waiting.
// Steady work well below the busiest the bridge has seen (a connected fleet polled every second)
// never falls quiet, and its garbage piles up to the runtime's own threshold: Bun let the heap of
// 1000 polled Dehne chargers grow to 3× its live size (~4 MiB/s of garbage), ~70 KiB of RSS per
// charger. There a collection every few seconds, paced like the others, keeps it near the live size.
import type { Logger } from "./log.ts";
import { fullCollector } from "./runtime.ts";

export interface IdleCollectorOptions {
  /** How often activity and heap are looked at. */
  checkMs: number;
  /** Quiet = this period's activity at most this fraction of the busiest period since the last collection. */
  quietFraction: number;
  /** Quiet periods in a row before collecting: a short lull inside a busy spell is not its end. */
  quietChecks: number;
  /** Below this much activity per period nothing counts as a burst (a few publishes are not work). */
  minBurst: number;
  /** Only worth it when the heap holds at least this much more than after the last collection. */
  minGrowthBytes: number;
  /** Never more often than this, nor more often than `pauseFactor` × the last collection's pause. */
  minIntervalMs: number;
  pauseFactor: number;
  /** Periods in a row whose rates stay within `steadyBand` of one another make steady work. */
  steadyChecks: number;
  /** Steady = the busiest of those periods at most (1 + band) × the least busy one. */
  steadyBand: number;
  /**
   * Steady work is collected only at most this fraction of the busiest period ever: work at full
   * speed for a while (a long burst) is left alone, as at a burst's start.
   */
  steadyFraction: number;
  /**
   * During steady work, never more often than this (nor than `pauseFactor` × the last pause).
   * Shorter than `minIntervalMs`: 1000 polled Dehne chargers make ~4 MiB of garbage a second; every
   * 2 s instead of 5 s, RSS averaged ~8 MiB lower at the same bridge CPU (~30 ms pauses, ≤ 1 %).
   */
  steadyIntervalMs: number;
}

export const IDLE_GC_DEFAULTS: IdleCollectorOptions = {
  checkMs: 1000,
  quietFraction: 0.1,
  quietChecks: 2,
  minBurst: 50,
  minGrowthBytes: 2 * 1024 * 1024,
  minIntervalMs: 5000,
  pauseFactor: 100,
  steadyChecks: 3,
  steadyBand: 0.5,
  steadyFraction: 0.5,
  steadyIntervalMs: 2000,
};

export interface IdleCollector {
  /** Collections run so far. */
  readonly runs: number;
  stop(): void;
}

const heapUsed = (): number => process.memoryUsage().heapUsed;

/**
 * Watches `activity` (a counter that only grows, e.g. MQTT publishes sent) and runs a full
 * collection when a busy spell has ended, start-up included, or during steady work well below the
 * busiest, once `heap()` (bytes) has grown enough. Does nothing on a runtime without a synchronous
 * full collection.
 */
export async function startIdleCollector(activity: () => number, log: Logger, opts: IdleCollectorOptions = IDLE_GC_DEFAULTS, heap: () => number = heapUsed): Promise<IdleCollector> {
  const collect = await fullCollector();
  let runs = 0;
  if (!collect) {
    log.debug("no full garbage collection on this runtime: memory after bursts is left to the runtime");
    return { runs, stop() {} };
  }
  let last = activity();
  // Start-up counts as a busy spell (modules, config, first publishes leave garbage behind): the
  // first quiet spell collects it.
  let busiest = opts.minBurst;
  let liveAfter = 0;
  let lastAt = 0;
  let pauseMs = 0;
  let quiet = 0;
  // The busiest period ever (`busiest` starts again at each collection), and the last few rates.
  let peak = 0;
  const recent: number[] = [];
  const timer = setInterval(() => {
    const now = activity();
    const rate = now - last;
    last = now;
    busiest = Math.max(busiest, rate);
    peak = Math.max(peak, rate);
    recent.push(rate);
    if (recent.length > opts.steadyChecks) recent.shift();
    const steady = isSteady(recent, opts) && rate <= peak * opts.steadyFraction;
    if (!steady) {
      if (busiest < opts.minBurst || rate > busiest * opts.quietFraction) {
        quiet = 0;
        return;
      }
      if (++quiet < opts.quietChecks) return;
    }
    if (Date.now() - lastAt < Math.max(steady ? opts.steadyIntervalMs : opts.minIntervalMs, pauseMs * opts.pauseFactor)) return;
    const before = heap();
    quiet = 0;
    if (before - liveAfter < opts.minGrowthBytes) {
      // Quiet, but the burst left nothing worth a pause: wait for the next one.
      busiest = rate;
      return;
    }
    const t0 = performance.now();
    collect();
    pauseMs = performance.now() - t0;
    runs++;
    liveAfter = heap();
    lastAt = Date.now();
    busiest = rate;
    log.debug(steady ? "full garbage collection during steady work" : "full garbage collection after a busy spell", { pause_ms: Math.round(pauseMs), heap_before_mib: Math.round(before / 1048576), heap_after_mib: Math.round(liveAfter / 1048576) });
  }, opts.checkMs);
  // Never what keeps the process alive.
  timer.unref?.();
  return {
    get runs() {
      return runs;
    },
    stop: () => clearInterval(timer),
  };
}

/** Steady work: a full window of periods, each at least `minBurst`, none far busier than the least busy. */
function isSteady(rates: readonly number[], opts: IdleCollectorOptions): boolean {
  if (rates.length < opts.steadyChecks) return false;
  const least = Math.min(...rates);
  return least >= opts.minBurst && Math.max(...rates) <= least * (1 + opts.steadyBand);
}
