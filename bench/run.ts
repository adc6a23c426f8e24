// `make bench`: start-up, memory, throughput and latency of the bridge as a child process, under Bun
// and under Deno, against a real broker on loopback (Mosquitto where installed, else aedes). Prints
// a table, then one JSON line with every number. Not a test: it asserts nothing.
//   BENCH_RUNTIMES=bun,deno,binary   which launchers to bench (default bun,deno); the compiled binary
//                                    gets a start-up and idle column in any case when dist/evse2mqtt exists
//   BENCH_SECTIONS=dehne,…            which protocol sections to run (default: all in bench/sections.ts)
//   BENCH_PARTS=dehne_burst,…         only these parts of the sections (keys as in h.part(); default all;
//                                    `startup` = start-up and idle rows, with the binary's floor row)
//   BENCH_BINARY=path                 the compiled binary to bench (default dist/evse2mqtt), e.g. to compare builds
//   BENCH_BUDGET_S=1200               no measurement starts after this many seconds (default 1200)
//   BENCH_FLEET_SIZES=100,1000        fleet sizes of the per-charger memory rows (default 100,1000)
//   BENCH_BREAKDOWN=<dir>             Bun: each fleet reading also split into JS heap, allocator, file,
//                                    anonymous and JIT pages, printed to stderr (bench/breakdown.ts)
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { LAUNCHERS, type Launcher } from "../test/support/bridge-process.ts";
import { chooseBroker, startBroker, type TestBroker } from "../test/support/broker.ts";
import { BREAKDOWN_DIR } from "./breakdown.ts";
import { floor } from "./floor.ts";
import { Harness, notMeasured, type Metric } from "./harness.ts";
import { SECTIONS } from "./sections.ts";
import { round } from "./stats.ts";
import { exitTime, startup } from "./startup.ts";

const ROOT = resolve(import.meta.dir, "..");
const BINARY = resolve(ROOT, process.env.BENCH_BINARY ?? "dist/evse2mqtt");
const began = performance.now();
const budgetS = Number(process.env.BENCH_BUDGET_S ?? 1200);
const deadline = began + (Number.isFinite(budgetS) && budgetS > 0 ? budgetS : 1200) * 1000;
/** Start-ups per launcher: the machine is shared, so medians of several. */
const STARTUP_RUNS = 7;
const progress = (msg: string) => process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);

function pick<T>(env: string | undefined, all: Record<string, T>, fallback: string[]): [string, T][] {
  const names = env ? env.split(",").map((s) => s.trim()).filter(Boolean) : fallback;
  for (const n of names) if (!(n in all)) throw new Error(`unknown name "${n}" (known: ${Object.keys(all).join(", ")})`);
  return names.map((n) => [n, all[n]!]);
}

const binaryLauncher: Launcher = { name: "compiled binary", argv: (c) => [BINARY, "-c", c] };
// BENCH_BREAKDOWN=<dir>: Bun with bench/breakdown-preload.ts, which reports the JS heap and allocator.
const bunBreakdown: Launcher = { name: "bun", argv: (c) => LAUNCHERS.bun.argv(c).toSpliced(1, 0, "--preload", join(import.meta.dir, "breakdown-preload.ts")) };
const launchers: Record<string, Launcher> = { ...LAUNCHERS, ...(BREAKDOWN_DIR ? { bun: bunBreakdown } : {}), binary: binaryLauncher };
const runtimes = pick(process.env.BENCH_RUNTIMES, launchers, ["bun", "deno"]);
const sections = pick(process.env.BENCH_SECTIONS, Object.fromEntries(SECTIONS.map((s) => [s.protocol, s])), SECTIONS.map((s) => s.protocol)).map(([, s]) => s);

function versionOf(l: Launcher): string {
  try {
    const out = execFileSync(l.argv("x")[0]!, ["--version"], { encoding: "utf8", timeout: 10_000 });
    return /\d+\.\d+\.\d+\S*/.exec(out)?.[0] ?? (out.split("\n")[0]!.trim() || "?");
  } catch {
    return "?";
  }
}

let current: { h: Harness; broker: TestBroker } | undefined;
let aborting = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    if (aborting) return;
    aborting = true;
    progress(`${sig}: cleaning up`);
    void (async () => {
      await current?.h.cleanup();
      await current?.broker.dispose();
      process.exit(130);
    })();
  });
}

/** `startupOnly`: the start-up and idle rows, none of the protocol sections (the binary's extra column). */
async function benchRuntime(name: string, launcher: Launcher, startupOnly = false): Promise<Metric[]> {
  const broker = await startBroker();
  const h = new Harness(launcher, broker, deadline);
  current = { h, broker };
  const out: Metric[] = [];
  try {
    progress(`${name}: start-up and idle RSS`);
    out.push(...(await h.part("startup", "start-up and idle RSS", 120_000, () => startup(h, sections, STARTUP_RUNS))));
    await h.cleanup();
    if (launcher === binaryLauncher) {
      const v = await exitTime([BINARY, "--version"], STARTUP_RUNS);
      out.push({ key: "version_ms", label: `spawn → exit of \`evse2mqtt --version\` (median of ${STARTUP_RUNS})`, value: round(v, 0), unit: "ms" });
      // Part of "startup": the floor is what the binary's idle RSS is read against.
      progress(`${name}: floor (a compiled Bun program with the same sockets)`);
      out.push(...(await h.part("startup", "floor: idle RSS of a compiled Bun program with the same sockets", 90_000, () => floor(h, 3))));
    }
    for (const s of startupOnly ? [] : sections) {
      progress(`${name}: ${s.protocol}`);
      out.push(...(await s.run(h)));
      await h.cleanup();
    }
  } finally {
    await h.cleanup();
    await broker.dispose();
    current = undefined;
  }
  return out;
}

const fmt = (m: Metric | undefined): string => (m === undefined ? "" : m.value === null ? "n/m" : `${m.value}${m.unit ? ` ${m.unit}` : ""}`);

function table(results: [string, Metric[]][], binaryMb: number | null): string {
  const rows = new Map<string, string>();
  for (const [, ms] of results) for (const m of ms) if (!rows.has(m.key)) rows.set(m.key, m.label);
  const cell = (rt: Metric[], key: string) => fmt(rt.find((m) => m.key === key));
  const labelW = Math.max(30, ...[...rows.values()].map((l) => l.length));
  const colW = results.map(([n, ms]) => Math.max(n.length, ...[...rows.keys()].map((k) => cell(ms, k).length)));
  const line = (label: string, cells: string[]) => `${label.padEnd(labelW)}  ${cells.map((c, i) => c.padStart(colW[i]!)).join("  ")}`;
  const lines = [line("metric", results.map(([n]) => n)), "-".repeat(labelW + colW.reduce((a, b) => a + b + 2, 0))];
  for (const [key, label] of rows) lines.push(line(label, results.map(([, ms]) => cell(ms, key))));
  lines.push(`${`binary size ${BINARY.replace(`${ROOT}/`, "")}`.padEnd(labelW)}  ${binaryMb === null ? "n/m" : `${binaryMb} MB`}`);
  const notes: string[] = [];
  for (const [rt, ms] of results) {
    for (const m of ms) {
      if (m.note) notes.push(`  ${rt}: ${m.label}: ${m.note}`);
      if (m.runs && m.runs.length > 1) notes.push(`  ${rt}: ${m.label}: runs ${m.runs.join(", ")} ${m.unit}`);
    }
  }
  return [...lines, ...(notes.length > 0 ? ["", "notes (n/m = not measured):", ...notes] : [])].join("\n");
}

const results: [string, Metric[]][] = [];
const columns: [string, Launcher, boolean][] = runtimes.map(([n, l]) => [n, l, false]);
// The start-up goal is the compiled binary's: it gets a column even when only bun and deno are benched.
if (existsSync(BINARY) && !runtimes.some(([, l]) => l === binaryLauncher)) columns.push(["binary", binaryLauncher, true]);
for (const [name, launcher, startupOnly] of columns) {
  if (aborting) break;
  let ms: Metric[];
  try {
    ms = await benchRuntime(name, launcher, startupOnly);
  } catch (err) {
    ms = [notMeasured("runtime", `${name} bench`, "", err instanceof Error ? err.message.split("\n")[0]! : String(err))];
  }
  results.push([name, ms]);
}

const binaryMb = existsSync(BINARY) ? round(statSync(BINARY).size / 1e6) : null;
const versions = Object.fromEntries(columns.map(([n, l]) => [n, versionOf(l)]));
progress(`done in ${((performance.now() - began) / 1000).toFixed(0)} s`);

process.stdout.write(`\nevse2mqtt bench — ${cpus().length} CPU ${cpus()[0]?.model ?? ""}, Linux ${release()}; ${Object.entries(versions).map(([n, v]) => `${n} ${v}`).join(", ")}\n`);
process.stdout.write(`bridge = child process (${columns.map(([n]) => n).join(", ")}), broker = ${chooseBroker(process.env).kind} on 127.0.0.1, simulators in the bench process (bun)\n\n`);
process.stdout.write(table(results, binaryMb) + "\n\n");

const json = {
  date: new Date().toISOString(),
  host: { cpus: cpus().length, kernel: release() },
  versions,
  binary_mb: binaryMb,
  runtimes: Object.fromEntries(
    results.map(([rt, ms]) => [rt, Object.fromEntries(ms.flatMap((m) => [[m.key, m.value] as [string, unknown], ...(m.runs ? [[`${m.key}_runs`, m.runs] as [string, unknown]] : [])]))]),
  ),
  not_measured: results.flatMap(([rt, ms]) => ms.filter((m) => m.value === null).map((m) => ({ runtime: rt, key: m.key, why: m.note ?? "" }))),
  ...(binaryMb === null ? { binary_missing: BINARY } : {}),
};
process.stdout.write(JSON.stringify(json) + "\n");
process.exit(0);
