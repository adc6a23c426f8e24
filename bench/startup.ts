// Start-up time (spawn → the retained `<base>/bridge/state` online seen by a subscriber that was
// already listening) and idle RSS, with the three charger protocols every deployment is likeliest to
// enable (Dehne, OCPP, EVSEMaster) on free loopback ports, an external broker, and no charger.
import { spawn } from "node:child_process";
import type { BenchSection, Harness, Metric } from "./harness.ts";
import { median, now, round, rssSplitMiB } from "./stats.ts";

/** The protocols the idle and start-up rows enable (those of them in the bench's sections). */
export const IDLE_PROTOCOLS = ["dehne", "ocpp", "evsemaster"];

export async function startup(h: Harness, sections: readonly BenchSection[], runs: number): Promise<Metric[]> {
  const times: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  const anon: number[] = [];
  const file: number[] = [];
  const idle = sections.filter((s) => IDLE_PROTOCOLS.includes(s.protocol));
  for (let i = 0; i < runs; i++) {
    const protocols: Record<string, string> = {};
    for (const s of idle) protocols[s.protocol] = s.idleConfig(await h.freePort());
    const bridge = await h.startBridge(() => ({ protocols }));
    times.push(bridge.startupMs);
    if (bridge.startupCpuMs !== undefined) cpu.push(bridge.startupCpuMs);
    // RSS on the first three starts only: a reading takes 3 s, start-up wants more runs.
    if (i < 3) {
      const r = await h.settledRss(bridge, 3, 1000);
      if (r !== undefined) rss.push(r);
      const split = rssSplitMiB(bridge.process.pid);
      if (split) {
        anon.push(split.anon);
        file.push(split.file);
      }
    }
    await bridge.stop();
  }
  const enabled = idle.map((s) => s.protocol).join("+") || "no protocol";
  return [
    { key: "startup_ms", label: `start-up: spawn → MQTT online (median of ${runs})`, value: round(median(times), 0), unit: "ms", runs: times.map((t) => round(t, 0) ?? 0) },
    {
      key: "startup_cpu_ms",
      label: `start-up: CPU time used until MQTT online, all threads (median of ${runs})`,
      value: round(median(cpu), 0),
      unit: "ms",
      note: "what a busy machine cannot inflate: the wall time above also waits for the cores",
      runs: cpu.map((t) => round(t, 0) ?? 0),
    },
    { key: "idle_rss_mib", label: `idle RSS (${enabled}, external broker, no chargers)`, value: round(median(rss)), unit: "MiB", runs: rss.map((r) => round(r) ?? 0) },
    { key: "idle_rss_anon_mib", label: "  of which the process's own (anonymous) memory", value: round(median(anon)), unit: "MiB" },
    { key: "idle_rss_file_mib", label: "  of which the runtime's executable and files, as touched (file-backed, shared)", value: round(median(file)), unit: "MiB" },
  ];
}

/** Spawn → exit of `argv` (e.g. `evse2mqtt --version`): the floor under any start-up, median of `runs`. */
export async function exitTime(argv: string[], runs: number): Promise<number | undefined> {
  const times: number[] = [];
  const [cmd, ...args] = argv;
  if (cmd === undefined) return undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const p = spawn(cmd, args, { stdio: "ignore" });
      p.once("error", reject);
      p.once("exit", (c) => resolve(c));
    });
    if (code === 0) times.push(now() - t0);
  }
  return median(times);
}
