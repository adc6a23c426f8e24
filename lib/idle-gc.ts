// Full collections when the bridge falls quiet after a burst of work. Left alone, Bun's and Deno's
// collectors keep the memory a burst made them grow into (measured: +25–75 % RSS ten seconds after
// a burst); one full collection once the burst is over gives most of it back. Never during the
// work itself: a full collection stops the one JavaScript thread for tens of milliseconds per
// thousand chargers, which is only free when nothing is waiting.
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
}

export const IDLE_GC_DEFAULTS: IdleCollectorOptions = {
  checkMs: 1000,
  quietFraction: 0.1,
  quietChecks: 2,
  minBurst: 50,
  minGrowthBytes: 2 * 1024 * 1024,
  minIntervalMs: 5000,
  pauseFactor: 100,
};

export interface IdleCollector {
  /** Collections run so far. */
  readonly runs: number;
  stop(): void;
}

/**
 * Watches `activity` (a counter that only grows, e.g. MQTT publishes sent) and runs a full
 * collection when a busy spell has ended, start-up included. Does nothing on a runtime without a
 * synchronous full collection.
 */
export async function startIdleCollector(activity: () => number, log: Logger, opts: IdleCollectorOptions = IDLE_GC_DEFAULTS): Promise<IdleCollector> {
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
  const timer = setInterval(() => {
    const now = activity();
    const rate = now - last;
    last = now;
    busiest = Math.max(busiest, rate);
    if (busiest < opts.minBurst || rate > busiest * opts.quietFraction) {
      quiet = 0;
      return;
    }
    if (++quiet < opts.quietChecks) return;
    if (Date.now() - lastAt < Math.max(opts.minIntervalMs, pauseMs * opts.pauseFactor)) return;
    const heap = process.memoryUsage().heapUsed;
    quiet = 0;
    if (heap - liveAfter < opts.minGrowthBytes) {
      // Quiet, but the burst left nothing worth a pause: wait for the next one.
      busiest = rate;
      return;
    }
    const t0 = performance.now();
    collect();
    pauseMs = performance.now() - t0;
    runs++;
    liveAfter = process.memoryUsage().heapUsed;
    lastAt = Date.now();
    busiest = rate;
    log.debug("full garbage collection after a busy spell", { pause_ms: Math.round(pauseMs), heap_before_mib: Math.round(heap / 1048576), heap_after_mib: Math.round(liveAfter / 1048576) });
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
