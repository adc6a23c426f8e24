// Loaded into the bridge child with `bun --preload` when BENCH_BREAKDOWN names a directory: on
// SIGUSR2 the bridge writes its JSC and allocator figures there as <pid>.json, so the bench can
// split an RSS reading into JS heap, allocator and the rest. An analysis aid, Bun only.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { heapStats, memoryUsage } from "bun:jsc";
import { rssMiB } from "./stats.ts";

/** A number at `path` inside mimalloc's stats object (Bun reports it untyped), if there is one. */
function at(o: unknown, ...path: string[]): number | undefined {
  let v = o;
  for (const k of path) v = typeof v === "object" && v !== null && k in v ? Reflect.get(v, k) : undefined;
  return typeof v === "number" ? v : undefined;
}

/** mimalloc's own counters: what is allocated through it by size class, and what it has committed. */
function miSummary(raw: unknown) {
  const bins: Record<string, number> = {};
  const list = typeof raw === "object" && raw !== null && "malloc_bins" in raw && Array.isArray(raw.malloc_bins) ? raw.malloc_bins : [];
  for (const b of list) {
    const n = at(b, "current") ?? 0;
    if (n > 0) bins[String(at(b, "block_size"))] = n * (at(b, "block_size") ?? 0);
  }
  return { committed: at(raw, "committed", "current"), pageCommitted: at(raw, "page_committed", "current"), normal: at(raw, "malloc_normal", "current"), huge: at(raw, "malloc_huge", "current"), pages: at(raw, "pages", "current"), bins };
}

const dir = process.env.BENCH_BREAKDOWN;
if (dir) {
  // BENCH_BREAKDOWN_GC=1: the reading also after a full collection and a pause, to tell live from garbage.
  // BENCH_BREAKDOWN_GC=shrink: Bun.shrink() after it.
  const collect = process.env.BENCH_BREAKDOWN_GC;
  process.on("SIGUSR2", () => {
    if (!collect) return write({});
    const t0 = performance.now();
    Bun.gc(true);
    if (collect === "shrink") Bun.shrink();
    const gcMs = performance.now() - t0;
    const h = heapStats();
    const m = memoryUsage();
    const afterGc = { heapSize: h.heapSize, heapCapacity: h.heapCapacity, extra: h.extraMemorySize, mallocCurrent: m.current, rssKiB: Math.round((rssMiB(process.pid) ?? 0) * 1024), types: topTypes(h.objectTypeCounts) };
    setTimeout(() => write({ afterGc, gcMs }), 1500);
  });
}

function topTypes(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 40));
}

function write(more: object): void {
  const h = heapStats();
  const m = memoryUsage();
  const p = process.memoryUsage();
  const out = {
    heapSize: h.heapSize,
    heapCapacity: h.heapCapacity,
    extra: h.extraMemorySize,
    objects: h.objectCount,
    protectedObjects: h.protectedObjectCount,
    mallocCurrent: m.current,
    mallocCommit: m.currentCommit,
    mallocPeak: m.peak,
    heapTotal: p.heapTotal,
    heapUsed: p.heapUsed,
    external: p.external,
    arrayBuffers: p.arrayBuffers,
    mi: miSummary("mimalloc" in h ? h.mimalloc : undefined),
    types: topTypes(h.objectTypeCounts),
  };
  writeFileSync(join(dir ?? ".", `${process.pid}.json`), JSON.stringify({ ...out, ...more }));
}
