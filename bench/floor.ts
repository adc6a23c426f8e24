// The floor row: idle RSS of bench/floor-program.ts, compiled once per bench run the way the
// Makefile compiles the bridge, holding the sockets an idle bridge holds. What the bridge's idle RSS
// has above it is evse2mqtt's own; the floor itself is the runtime's.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Harness, Metric } from "./harness.ts";
import { median, round, rssMiB, rssSplitMiB, sleep, withTimeout } from "./stats.ts";

const ROOT = resolve(import.meta.dir, "..");

/** Compiles the floor program into a temp dir; the caller removes `dir`. */
function compileFloor(): { bin: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-floor-"));
  const bin = join(dir, "floor");
  const r = spawnSync(resolve(ROOT, "node_modules/.bin/bun"), ["build", "--compile", "--minify", "--bytecode", "--format=esm", resolve(import.meta.dir, "floor-program.ts"), "--outfile", bin], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot compile the floor program: ${(r.stderr || r.stdout || String(r.error)).split("\n")[0]}`);
  }
  return { bin, dir };
}

/** Median idle RSS (total, anonymous, file-backed) of `runs` floor processes, each read like the bridge's. */
export async function floor(h: Harness, runs: number): Promise<Metric[]> {
  const { bin, dir } = compileFloor();
  h.defer(() => rmSync(dir, { recursive: true, force: true }));
  const broker = new URL(h.broker.url);
  const rss: number[] = [];
  const anon: number[] = [];
  const file: number[] = [];
  for (let i = 0; i < runs; i++) {
    const ports = [await h.freePort(), await h.freePort(), await h.freePort()].map(String);
    const p = spawn(bin, [`${broker.hostname}:${broker.port}`, ...ports], { stdio: ["ignore", "pipe", "pipe"] });
    const stop = () => {
      if (p.exitCode === null) p.kill("SIGKILL");
    };
    h.defer(stop);
    let out = "";
    await withTimeout(
      new Promise<void>((ok, fail) => {
        p.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          if (out.includes("floor ready")) ok();
        });
        p.stderr.on("data", (b: Buffer) => void (out += b.toString()));
        p.once("exit", (code) => fail(new Error(`floor program exited with ${code}: ${out.slice(-300)}`)));
      }),
      15_000,
      "floor program start",
    );
    // Read like the bridge's idle RSS (bench/startup.ts): three readings a second apart, then the split.
    const readings: number[] = [];
    for (let k = 0; k < 3; k++) {
      await sleep(1000);
      const r = rssMiB(p.pid);
      if (r !== undefined) readings.push(r);
    }
    const split = rssSplitMiB(p.pid);
    const r = median(readings);
    if (r !== undefined) rss.push(r);
    if (split) {
      anon.push(split.anon);
      file.push(split.file);
    }
    stop();
  }
  return [
    {
      key: "floor_rss_mib",
      label: "floor: a compiled Bun program holding only the same sockets (TCP, WebSocket, UDP, MQTT) — idle RSS",
      value: round(median(rss)),
      unit: "MiB",
      note: "bench/floor-program.ts: Bun.listen, Bun.serve with a WebSocket handler, node:dgram, Bun.connect sending an MQTT CONNECT; the bridge's idle RSS minus this is evse2mqtt's own",
      runs: rss.map((x) => round(x) ?? 0),
    },
    { key: "floor_rss_anon_mib", label: "  floor: of which anonymous", value: round(median(anon)), unit: "MiB" },
    { key: "floor_rss_file_mib", label: "  floor: of which file-backed", value: round(median(file)), unit: "MiB" },
  ];
}
