// The parent side of the transport benches (run under Bun): starts a server child and a client child
// per runtime and adapter, asks them for round trips (p50/p99), a pipelined echo (msgs/s, and CPU
// time per message from /proc, which other load on the machine barely moves), and idle connections
// (RSS per connection from /proc after a full collection), and prints one table plus a JSON line.
// Not a test: it asserts nothing.
//   BENCH_RUNTIMES=bun,deno,node   runtimes to measure (default: all three; node when installed)
//   BENCH_ROUNDS=3                 rounds per runtime, adapters alternating; medians are printed
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Kind } from "./adapters.ts";

export type Transport = "tcp" | "udp" | "ws" | "http" | "serial";
export type Runtime = "bun" | "deno" | "node";
type Answer = Record<string, number | string>;

const ROOT = resolve(import.meta.dir, "../..");
const CHILD = resolve(import.meta.dir, "child.ts");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
const DENO = resolve(ROOT, "node_modules/.bin/deno");
let nodeBundle: string | undefined;

function hasNode(): boolean {
  try {
    execFileSync("node", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Node cannot run the TypeScript sources directly (v20): it runs the child bundled by Bun. */
function argv(runtime: Runtime, args: string[]): string[] {
  if (runtime === "bun") return [BUN, CHILD, ...args];
  if (runtime === "deno") return [DENO, "run", "-A", "--v8-flags=--expose-gc", CHILD, ...args];
  if (!nodeBundle) {
    const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-transports-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    nodeBundle = join(dir, "child.mjs");
    execFileSync(BUN, ["build", CHILD, "--target=node", "--outfile", nodeBundle], { stdio: "ignore" });
  }
  return ["node", "--expose-gc", nodeBundle, ...args];
}

class Child {
  private lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private err = "";
  private constructor(private proc: ChildProcess) {
    let buf = "";
    proc.stdout?.on("data", (b: Buffer) => {
      buf += b.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith("{")) continue;
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w(line);
        } else this.lines.push(line);
      }
    });
    proc.stderr?.on("data", (b: Buffer) => void (this.err = (this.err + b.toString()).slice(-2000)));
  }

  static start(runtime: Runtime, args: string[]): Child {
    const [cmd, ...rest] = argv(runtime, args);
    return new Child(spawn(cmd ?? "", rest, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] }));
  }

  next(timeoutMs = 60_000): Promise<Answer> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`child gave no answer in ${timeoutMs / 1000} s: ${this.err}`)), timeoutMs);
      this.waiting = (l) => {
        clearTimeout(t);
        const a: Answer = JSON.parse(l);
        if (typeof a.error === "string") rej(new Error(a.error));
        else res(a);
      };
    });
  }

  send(cmd: Answer): Promise<Answer> {
    this.proc.stdin?.write(JSON.stringify(cmd) + "\n");
    return this.next();
  }

  /** User + system CPU time so far, in ms (/proc/<pid>/stat, 100 ticks a second). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.proc.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** VmRSS in KiB after a full collection in the child. */
  async rss(): Promise<number> {
    await this.send({ cmd: "gc" });
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.proc.pid}/status`, "utf8"));
    return Number(m?.[1] ?? NaN);
  }

  /** Ends stdin (the child cleans up and leaves), and kills it if it does not within 3 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.proc.stdin?.end();
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
  }
}

export interface Row {
  runtime: Runtime;
  adapter: Kind;
  msgs_per_s: number;
  p50_us: number;
  p99_us: number;
  /**
   * CPU time per message in µs (user + system, from /proc): the server's, plus the client's where it
   * runs the adapter under test too (TCP, UDP, serial). Unlike msgs/s, it barely moves when other
   * work shares the machine.
   */
  cpu_us?: number;
  /** Per-connection memory of the listening side, in KiB, with 100 and 1000 idle connections. */
  listen_kib_100?: number;
  listen_kib_1000?: number;
  /** Per-connection memory of the dialling side (TCP only), 1000 idle connections. */
  dial_kib_1000?: number;
  /** UDP: datagrams of a 500-socket burst the server heard. */
  burst_heard?: number;
  /** Why there are no numbers (every round failed). */
  failed?: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const num = (v: number | string | undefined) => (typeof v === "number" ? v : NaN);

export async function measure(transport: Transport, runtime: Runtime, adapter: Kind, conns: number, window: number): Promise<Row> {
  if (transport === "serial") return measureSerial(runtime, adapter, window);
  const server = Child.start(runtime, ["server", transport, adapter]);
  const port = num((await server.next()).port);
  // TCP and UDP clients use the adapter under test too; WebSocket and HTTP share one load client.
  const own = transport === "tcp" || transport === "udp";
  const client = Child.start(own ? runtime : "bun", ["client", transport, own ? adapter : "native", String(port)]);
  try {
    const lat = await client.send({ cmd: "latency", n: 3000 });
    const cpu0 = server.cpuMs() + (own ? client.cpuMs() : 0);
    const thr = await client.send({ cmd: "throughput", conns, ms: 2000, window });
    const cpu = server.cpuMs() + (own ? client.cpuMs() : 0) - cpu0;
    const row: Row = { runtime, adapter, msgs_per_s: num(thr.msgs_per_s), cpu_us: Math.round((cpu * 1000) / num(thr.total) * 10) / 10, p50_us: Math.round(num(lat.p50_us)), p99_us: Math.round(num(lat.p99_us)) };
    if (transport === "udp") {
      const before = num((await server.send({ cmd: "heard" })).heard);
      await client.send({ cmd: "burst", n: 500 });
      row.burst_heard = num((await server.send({ cmd: "heard" })).heard) - before;
      return row;
    }
    const s0 = await server.rss();
    const c0 = await client.rss();
    const open100 = num((await client.send({ cmd: "idle", n: 100 })).open);
    const s100 = await server.rss();
    const open1000 = num((await client.send({ cmd: "idle", n: 1000 })).open);
    const s1000 = await server.rss();
    const c1000 = await client.rss();
    // Connections the server closed by itself would make it look lean: then there is no figure.
    const perConn = (kib: number, open: number, want: number) => (open >= want * 0.98 ? Math.round((kib / open) * 10) / 10 : undefined);
    row.listen_kib_100 = perConn(s100 - s0, open100, 100);
    row.listen_kib_1000 = perConn(s1000 - s0, open1000, 1000);
    if (own) row.dial_kib_1000 = perConn(c1000 - c0, open1000, 1000);
    if (open1000 < 980) process.stderr.write(`[${transport}] ${runtime} ${adapter}: only ${open1000} of 1000 idle connections stayed open\n`);
    return row;
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

/** Serial lines: one child holds both ends of a pty pair; no idle-connection figures. */
async function measureSerial(runtime: Runtime, adapter: Kind, window: number): Promise<Row> {
  const child = Child.start(runtime, ["client", "serial", adapter, "0"]);
  try {
    const lat = await child.send({ cmd: "latency", n: 2000 });
    const cpu0 = child.cpuMs();
    const thr = await child.send({ cmd: "throughput", ms: 2000, window });
    const cpu = child.cpuMs() - cpu0;
    return { runtime, adapter, msgs_per_s: num(thr.msgs_per_s), cpu_us: Math.round((cpu * 1000) / num(thr.total) * 10) / 10, p50_us: Math.round(num(lat.p50_us)), p99_us: Math.round(num(lat.p99_us)) };
  } finally {
    await child.stop();
  }
}

export function runtimes(): Runtime[] {
  const all: Runtime[] = hasNode() ? ["bun", "deno", "node"] : ["bun", "deno"];
  const want = process.env.BENCH_RUNTIMES?.split(",").map((s) => s.trim());
  return want ? all.filter((r) => want.includes(r)) : all;
}

/** The median of every number over the rounds of one runtime and adapter. */
function aggregate(runs: Row[]): Row | undefined {
  const [first] = runs;
  if (!first) return undefined;
  const out: Row = { ...first };
  const keys = ["msgs_per_s", "cpu_us", "p50_us", "p99_us", "listen_kib_100", "listen_kib_1000", "dial_kib_1000", "burst_heard"] as const;
  for (const k of keys) {
    const xs = runs.flatMap((r) => (r[k] === undefined ? [] : [r[k]]));
    if (xs.length > 0) out[k] = median(xs);
  }
  return out;
}

/**
 * Measures native and node adapters on each runtime (node alone on Node) and prints the table.
 * The machine is shared and noisy: BENCH_ROUNDS rounds (default 3) alternate the adapters, and each
 * number is the median of its rounds.
 */
export async function bench(transport: Transport, opts: { conns: number; window: number; nativeOn: Runtime[] }): Promise<Row[]> {
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3) || 3);
  const rows: Row[] = [];
  for (const runtime of runtimes()) {
    const kinds: Kind[] = opts.nativeOn.includes(runtime) ? ["native", "node"] : ["node"];
    const runs = new Map<Kind, Row[]>(kinds.map((k) => [k, []]));
    const failures = new Map<Kind, string>();
    for (let round = 1; round <= rounds; round++) {
      for (const adapter of kinds) {
        process.stderr.write(`[${transport}] ${runtime} ${adapter} round ${round}/${rounds}\n`);
        try {
          runs.get(adapter)?.push(await measure(transport, runtime, adapter, opts.conns, opts.window));
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          failures.set(adapter, why.split("\n")[0] ?? why);
          process.stderr.write(`[${transport}] ${runtime} ${adapter} failed: ${why}\n`);
        }
      }
    }
    for (const k of kinds) {
      const row = aggregate(runs.get(k) ?? []);
      rows.push(row ?? { runtime, adapter: k, msgs_per_s: NaN, p50_us: NaN, p99_us: NaN, failed: failures.get(k) ?? "no result" });
    }
  }
  print(transport, rows);
  return rows;
}

function print(transport: Transport, rows: Row[]): void {
  const cols: [string, (r: Row) => string][] = [
    ["runtime", (r) => r.runtime],
    ["adapter", (r) => r.adapter],
    ["msgs/s", (r) => String(r.msgs_per_s)],
    ["CPU µs/msg", (r) => String(r.cpu_us ?? "-")],
    ["p50 µs", (r) => String(r.p50_us)],
    ["p99 µs", (r) => String(r.p99_us)],
  ];
  if (transport === "udp") cols.push(["burst 500: heard", (r) => String(r.burst_heard ?? "-")]);
  else if (transport !== "serial") {
    cols.push(["listen KiB/conn @100", (r) => String(r.listen_kib_100 ?? "-")], ["listen KiB/conn @1000", (r) => String(r.listen_kib_1000 ?? "-")]);
    if (transport === "tcp") cols.push(["dial KiB/conn @1000", (r) => String(r.dial_kib_1000 ?? "-")]);
  }
  const notes = rows.flatMap((r) => (r.failed ? [`${r.runtime} ${r.adapter} fails: ${r.failed}`] : []));
  const cells = [cols.map(([h]) => h), ...rows.map((r) => (r.failed ? cols.map((_, i) => (i < 2 ? (i === 0 ? r.runtime : r.adapter) : i === 2 ? "fails*" : "-")) : cols.map(([, f]) => f(r))))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  console.log(`\n${transport.toUpperCase()}`);
  for (const [i, row] of cells.entries()) {
    console.log("| " + row.map((c, j) => c.padEnd(widths[j] ?? 0)).join(" | ") + " |");
    if (i === 0) console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  }
  for (const n of notes) console.log(`* ${n}`);
  console.log(JSON.stringify({ transport, rows }));
}
