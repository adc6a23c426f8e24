// What every bench section gets: a bridge child process on a temp config against a real broker (Mosquitto where installed),
// MQTT probes, free ports, RSS readings, and a cleanup list so nothing outlives the bench.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLUGINS } from "../protocols/index.ts";
import { BridgeProcess, type Launcher } from "../test/support/bridge-process.ts";
import type { TestBroker } from "../test/support/broker.ts";
import { freePort } from "../test/support/ports.ts";
import { MqttProbe } from "../test/support/mqtt-probe.ts";
import { type BurstResult, cpuMs, median, now, round, rssMiB, sleep, waitFor, withTimeout } from "./stats.ts";

/** One printed and JSON-exported number. `value: null` means not measured; `note` says why. */
export interface Metric {
  /** JSON key, snake_case, unit in the name (e.g. `dehne_rss_1000_mib`). */
  key: string;
  label: string;
  value: number | null;
  unit: string;
  note?: string;
  /** Individual runs behind a median, exported as `<key>_runs`. */
  runs?: number[];
}

/**
 * A pluggable part of the bench, one per protocol. To add one (e.g. OCPP): write bench/<protocol>.ts
 * exporting a BenchSection and list it in bench/sections.ts.
 */
export interface BenchSection {
  /** Protocol plugin name, which is also its TOML section. */
  protocol: string;
  /** Body of the protocol's TOML section enabling it on 127.0.0.1:`port`, for the start-up and idle runs. */
  idleConfig(port: number): string;
  /** The section's measurements; wrap each independent one in `h.part(…)` so one failure spares the rest. */
  run(h: Harness): Promise<Metric[]>;
}

export const notMeasured = (key: string, label: string, unit: string, why: string): Metric => ({ key, label, value: null, unit, note: `not measured: ${why}` });

/** A started bridge child process that has announced itself online on MQTT. */
export interface RunningBridge {
  readonly process: BridgeProcess;
  /** `mqtt.base_topic` of this bridge (unique per start, so retained messages never mix). */
  readonly base: string;
  /** Spawn → `<base>/bridge/state` = online seen by a subscriber, in ms. */
  readonly startupMs: number;
  /** CPU time the bridge used (all threads) until its online was seen, in ms; undefined off Linux. */
  readonly startupCpuMs: number | undefined;
  /** VmRSS in MiB, undefined once the process is gone. */
  rss(): number | undefined;
  stop(): Promise<void>;
}

export interface BridgeSpec {
  /** TOML bodies by protocol name; every other known protocol is written with `enabled = false`. */
  protocols: Record<string, string>;
  startTimeoutMs?: number;
}

type Cleanup = () => Promise<unknown> | unknown;

/** BENCH_PARTS: only the parts named (keys of h.part()), for comparing one measurement across builds. */
const ONLY_PARTS = process.env.BENCH_PARTS?.split(",").map((s) => s.trim()).filter(Boolean);

/** Per runtime (Bun, Deno, …): the launcher and broker, plus resources to release. */
export class Harness {
  private cleanups: Cleanup[] = [];
  private dirs: string[] = [];

  /** `deadline`: a `now()` past which no further part starts (keeps the whole bench within its time budget). */
  constructor(readonly launcher: Launcher, readonly broker: TestBroker, readonly deadline = Number.POSITIVE_INFINITY) {}

  freePort(): Promise<number> {
    return freePort();
  }

  /** Run `fn` at the next `cleanup()` (last registered runs first). */
  defer(fn: Cleanup): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    while (this.cleanups.length > 0) {
      const fn = this.cleanups.pop()!;
      try {
        await withTimeout(Promise.resolve().then(fn), 15_000, "cleanup step");
      } catch (err) {
        process.stderr.write(`bench cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }

  /**
   * One independent measurement of a section, whose resources are released when it ends. On failure
   * (or after `timeoutMs`) a single "not measured" row with the reason stands in for its numbers.
   */
  async part(key: string, label: string, timeoutMs: number, fn: () => Promise<Metric[]>): Promise<Metric[]> {
    if (ONLY_PARTS && !ONLY_PARTS.includes(key)) return [];
    const left = this.deadline - now();
    if (left < 5000) return [notMeasured(key, label, "", "the bench's time budget (BENCH_BUDGET_S) was used up")];
    try {
      const metrics = await withTimeout(fn(), Math.min(timeoutMs, left), label);
      await this.cleanup();
      return metrics;
    } catch (err) {
      await this.cleanup();
      const why = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 200);
      return [notMeasured(key, label, "", why)];
    }
  }

  /** An MQTT subscriber on the bench broker, closed at cleanup. */
  async probe(filters: string[]): Promise<MqttProbe> {
    const p = await MqttProbe.connect(this.broker.url, filters);
    this.defer(() => p.close());
    return p;
  }

  /** The ids of `bridge`'s chargers whose availability is online now, kept up to date from MQTT. */
  async onlineChargers(bridge: { base: string }): Promise<Set<string>> {
    const probe = await this.probe([`${bridge.base}/+/availability`]);
    const online = new Set<string>();
    probe.client.on("message", (topic, payload) => {
      const id = topic.split("/")[1] ?? "";
      if (payload.toString() === "online") online.add(id);
      else online.delete(id);
    });
    return online;
  }

  /** Writes a temp config, spawns the bridge and waits (bounded) for its online state on MQTT. */
  async startBridge(spec: (base: string) => BridgeSpec): Promise<RunningBridge> {
    const base = `bench${Math.random().toString(16).slice(2, 10)}`;
    const s = spec(base);
    const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-bench-"));
    this.dirs.push(dir);
    const file = join(dir, "evse2mqtt.toml");
    const sections = PLUGINS.map((p) => `[${p.name}]\n${s.protocols[p.name] ?? "enabled = false"}\n`);
    for (const name of Object.keys(s.protocols)) {
      if (!PLUGINS.some((p) => p.name === name)) throw new Error(`bench: no protocol plugin named "${name}"`);
    }
    writeFileSync(
      file,
      [
        "[mqtt]",
        `url = "${this.broker.url}"`,
        `base_topic = "${base}"`,
        `client_id = "${base}-bridge"`,
        "[log]",
        'level = "info"',
        ...sections,
      ].join("\n"),
    );
    const state = await MqttProbe.connect(this.broker.url, [`${base}/bridge/state`]);
    const t0 = now();
    const proc = new BridgeProcess(this.launcher, file);
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await proc.stop();
    };
    this.defer(stop);
    let startupMs: number;
    let startupCpuMs: number | undefined;
    try {
      const exited = proc.exited.then((code) => {
        throw new Error(`bridge exited with ${code} before going online:\n${proc.log.slice(-2000)}`);
      });
      await Promise.race([state.wait(`${base}/bridge/state`, (m) => m.text === "online", s.startTimeoutMs ?? 30_000), exited]);
      startupMs = now() - t0;
      startupCpuMs = cpuMs(proc.pid);
      // The protocols start once the bridge is online (or its broker head start is over): a section
      // must not dial before they listen.
      if (!(await waitFor(() => proc.log.includes("evse2mqtt running"), { timeoutMs: 30_000, stepMs: 10 }))) throw new Error(`bridge online but its protocols never started:\n${proc.log.slice(-2000)}`);
    } finally {
      await state.close();
    }
    return { process: proc, base, startupMs, startupCpuMs, rss: () => (stopped ? undefined : rssMiB(proc.pid)), stop };
  }

  /** RSS after letting the process settle: the median of a few readings `ms` apart. */
  async settledRss(bridge: RunningBridge, readings = 3, ms = 500): Promise<number | undefined> {
    const xs: number[] = [];
    for (let i = 0; i < readings; i++) {
      await sleep(ms);
      const r = bridge.rss();
      if (r !== undefined) xs.push(r);
    }
    return median(xs);
  }
}

/** Wording of one protocol's throughput rows: "EVSEMaster throughput (…)", "… datagram → MQTT latency …". */
export interface LoadLabels {
  key: string;
  name: string;
  /** The unit sent, e.g. "frame", "datagram", "MeterValues". */
  item: string;
  /** Burst shape, e.g. "50×200 notify frames". */
  what: string;
  throughput: string;
  latencyAt: string;
  delivered: string;
  gapMs: number;
  burstNote?: string;
}

/** The six rows every protocol section reports for a burst and a light paced load. */
export function loadMetrics(l: LoadLabels, r: BurstResult, paced: BurstResult): Metric[] {
  return [
    { key: `${l.key}_burst_msgs_per_s`, label: `${l.name} ${l.throughput} (${l.what})`, value: round(r.perSecond, 0), unit: "msg/s", ...(l.burstNote ? { note: l.burstNote } : {}) },
    { key: `${l.key}_burst_p50_ms`, label: `${l.name} ${l.item} → MQTT latency ${l.latencyAt}, p50`, value: round(r.p50), unit: "ms" },
    { key: `${l.key}_burst_p99_ms`, label: `${l.name} ${l.item} → MQTT latency ${l.latencyAt}, p99`, value: round(r.p99), unit: "ms" },
    { key: `${l.key}_burst_delivered_ratio`, label: `${l.name} ${l.delivered}`, value: round(r.delivered / r.sent, 3), unit: "", note: `${r.delivered}/${r.sent}` },
    { key: `${l.key}_paced_p50_ms`, label: `${l.name} latency, 1 ${l.item} every ${l.gapMs} ms, p50`, value: round(paced.p50), unit: "ms", note: `${paced.delivered}/${paced.sent} delivered` },
    { key: `${l.key}_paced_p99_ms`, label: `${l.name} latency, 1 ${l.item} every ${l.gapMs} ms, p99`, value: round(paced.p99), unit: "ms" },
  ];
}
