// The bench side of bench/breakdown-preload.ts: one reading of where a bridge child's RSS is (JSC
// heap, mimalloc, anonymous vs file-backed pages, JIT code), printed to stderr at each fleet size
// when BENCH_BREAKDOWN names a directory. An analysis aid: the bench's rows do not change.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cpuMs, rssMiB, sleep } from "./stats.ts";

export const BREAKDOWN_DIR = process.env.BENCH_BREAKDOWN;

/** Pages of the process by kind, KiB, from /proc/<pid>/smaps. */
function smaps(pid: number): Record<string, number> {
  const out: Record<string, number> = { rss: 0, anon: 0, file: 0, jit: 0, anonRw: 0, heapBrk: 0, stack: 0, maps: 0, bigAnon: 0 };
  let kind = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const [, perms = "", inode = "0", path = ""] = head;
      out.maps = (out.maps ?? 0) + 1;
      if (inode !== "0" && path.startsWith("/")) kind = "file";
      else if (path === "[heap]") kind = "heapBrk";
      else if (path.startsWith("[stack")) kind = "stack";
      else if (perms.includes("x")) kind = "jit";
      else kind = "anonRw";
      continue;
    }
    const m = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (!m) continue;
    const kb = Number(m[2]);
    if (m[1] === "Rss") {
      out.rss = (out.rss ?? 0) + kb;
      out[kind] = (out[kind] ?? 0) + kb;
    } else out.anon = (out.anon ?? 0) + kb;
  }
  return out;
}

export type Breakdown = Record<string, unknown>;

/** Asks the child for its JSC figures (SIGUSR2) and reads its smaps; undefined when off. */
export async function breakdown(pid: number | undefined, signal: () => void): Promise<Breakdown | undefined> {
  if (!BREAKDOWN_DIR || pid === undefined) return undefined;
  const file = join(BREAKDOWN_DIR, `${pid}.json`);
  rmSync(file, { force: true });
  signal();
  for (let i = 0; i < 250 && !existsSync(file); i++) await sleep(20);
  await sleep(20);
  const parsed: unknown = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const js: Breakdown = typeof parsed === "object" && parsed !== null ? { ...parsed } : {};
  const sm = smaps(pid);
  // Steady-state cost: CPU the bridge uses per second with this fleet, and RSS readings meanwhile.
  const c0 = cpuMs(pid) ?? 0;
  const rss: number[] = [];
  for (let i = 0; i < 10; i++) {
    await sleep(500);
    rss.push(Math.round((rssMiB(pid) ?? 0) * 10) / 10);
  }
  return { ...js, smaps: sm, cpuMsPerS: ((cpuMs(pid) ?? 0) - c0) / 5, rssSeries: rss };
}
