// Small numeric helpers for the benchmark: order statistics, /proc readings, rounding, bounded waits.
import { readdirSync, readFileSync } from "node:fs";

/** The q-quantile (0…1) by nearest rank; undefined for no samples. */
export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export const median = (xs: readonly number[]): number | undefined => quantile(xs, 0.5);

export function round(x: number | undefined, digits = 1): number | null {
  if (x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Resident set size of a process in MiB, from /proc/<pid>/status (Linux only). */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RSS split in MiB: `anon` is the process's own memory (heap, stacks, buffers), `file` the pages of
 * files it has mapped and touched, mostly the runtime's executable: shared with other processes
 * running it, and given back by the kernel under memory pressure without swapping.
 */
export function rssSplitMiB(pid: number | undefined): { anon: number; file: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const anon = /^RssAnon:\s+(\d+)\s+kB/m.exec(status);
    const file = /^RssFile:\s+(\d+)\s+kB/m.exec(status);
    return anon && file ? { anon: Number(anon[1]) / 1024, file: Number(file[1]) / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time a process has used so far, all its threads, in ms (from /proc/<pid>/task/<tid>/schedstat,
 * Linux only). Unlike wall time, barely moved by other processes competing for the cores.
 */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}

/** Milliseconds on a monotonic clock shared by every module of this process. */
export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `done()` holds, polling every `stepMs`; gives up after `timeoutMs`, or after
 * `idleMs` without `progress()` changing. Returns whether `done()` held.
 */
export async function waitFor(
  done: () => boolean,
  opts: { timeoutMs: number; stepMs?: number; idleMs?: number; progress?: () => number },
): Promise<boolean> {
  const end = now() + opts.timeoutMs;
  let last = opts.progress?.();
  let lastChange = now();
  while (!done()) {
    if (now() > end) return false;
    if (opts.progress && opts.idleMs !== undefined) {
      const p = opts.progress();
      if (p !== last) {
        last = p;
        lastChange = now();
      } else if (now() - lastChange > opts.idleMs) return false;
    }
    await sleep(opts.stepMs ?? 25);
  }
  return true;
}

/** Rejects after `ms` with a message naming `what`; the underlying work is left to its own cleanup. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: gave up after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** Latency and rate figures for one burst: `sentAt[i]` matched with `receivedAt[i]` (undefined = lost). */
export interface BurstResult {
  sent: number;
  delivered: number;
  /** Delivered messages per second from the first send to the last delivery. */
  perSecond: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

export function burstResult(pairs: readonly { sentAt: number; receivedAt: number | undefined }[]): BurstResult {
  const lat: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of pairs) {
    first = Math.min(first, p.sentAt);
    if (p.receivedAt === undefined) continue;
    lat.push(p.receivedAt - p.sentAt);
    last = Math.max(last, p.receivedAt);
  }
  const span = (last - first) / 1000;
  return {
    sent: pairs.length,
    delivered: lat.length,
    perSecond: lat.length > 0 && span > 0 ? lat.length / span : undefined,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    max: quantile(lat, 1),
  };
}
