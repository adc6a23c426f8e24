// What one idle charger costs the bridge, by JavaScript type: the bridge runs in this process (Bun),
// the chargers are `evse2mqtt simulate <protocol>` child processes, the test broker (Mosquitto) the broker. At 0 and at
// each fleet size: a full GC, then a heap snapshot (Bun.generateHeapSnapshot, shallow sizes summed
// by class). Prints heap and RSS per charger and the types that grew most per charger.
//   node_modules/.bin/bun bench/heap.ts [dehne,ocpp,evsemaster] [100,1000]
// Bun only (the bench's RSS rows cover Deno); an analysis aid, not part of `make bench`.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { heapStats } from "bun:jsc";
import { startBridge } from "../lib/bridge.ts";
import { loadConfig } from "../lib/config.ts";
import { createLogger } from "../lib/log.ts";
import { PLUGINS } from "../protocols/index.ts";
import { type CliProcess, simulatorProcess } from "../test/support/bridge-process.ts";
import { startBroker, type TestBroker } from "../test/support/broker.ts";
import { freePort } from "../test/support/ports.ts";
import { MqttProbe } from "../test/support/mqtt-probe.ts";
import { rssMiB, sleep, waitFor } from "./stats.ts";

interface Snapshot {
  heap: number;
  /** Bytes the JS heap has reserved (live objects plus free space in its blocks). */
  capacity: number;
  /** Memory outside the JS heap that JS objects own (array buffers, native wrappers' reports). */
  extra: number;
  objects: number;
  rss: number;
  /** How long one full collection took, ms (what an idle collection costs at this size). */
  gcMs: number;
  /** Shallow bytes and count by class name. */
  types: Map<string, { bytes: number; count: number }>;
}

interface InspectorSnapshot {
  nodes: number[];
  nodeClassNames: string[];
}

function isInspectorSnapshot(x: unknown): x is InspectorSnapshot {
  return typeof x === "object" && x !== null && "nodes" in x && "nodeClassNames" in x && Array.isArray(x.nodes) && Array.isArray(x.nodeClassNames);
}

async function snapshot(): Promise<Snapshot> {
  let gcMs = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    Bun.gc(true);
    gcMs = performance.now() - t0;
    await sleep(100);
  }
  const raw: unknown = Bun.generateHeapSnapshot();
  if (!isInspectorSnapshot(raw)) throw new Error("unexpected heap snapshot format");
  const types = new Map<string, { bytes: number; count: number }>();
  // Version 3 "Inspector" layout: [id, size, classNameIndex, flags] per node.
  for (let i = 0; i + 3 < raw.nodes.length; i += 4) {
    const name = raw.nodeClassNames[raw.nodes[i + 2] ?? 0] ?? "?";
    const t = types.get(name) ?? { bytes: 0, count: 0 };
    t.bytes += raw.nodes[i + 1] ?? 0;
    t.count++;
    types.set(name, t);
  }
  const s = heapStats();
  return { heap: s.heapSize, capacity: s.heapCapacity, extra: s.extraMemorySize, objects: s.objectCount, rss: rssMiB(process.pid) ?? 0, gcMs, types };
}

/** Simulator arguments for `n` idle chargers (no car, or a car that never plugs in). */
const SIMS: Record<string, { section: (port: number) => string; args: (port: number, n: number) => string[] }> = {
  dehne: {
    section: (port) => `listen = "127.0.0.1:${port}"`,
    args: (port, n) => ["dehne", "--connect", `127.0.0.1:${port}`, "--count", String(n), "--no-car"],
  },
  ocpp: {
    section: (port) => `listen = "127.0.0.1:${port}"\nauth_policy = "accept_all"\nmax_charge_points = 5000`,
    args: (port, n) => ["ocpp", "--connect", `ws://127.0.0.1:${port}`, "--count", String(n), "--plug-after", "100000"],
  },
  evsemaster: {
    section: (port) => `bind = "127.0.0.1"\nport = ${port}\ntime_zone = "UTC"\nmax_discovered = 5000\ndefault_password = "123456"\ndiscover_login = true`,
    args: (port, n) => ["evsemaster", "--target", `127.0.0.1:${port}`, "--bind", "127.0.0.1", "--count", String(n), "--password", "123456", "--beacon-s", "1", "--unplugged"],
  },
};

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

async function measure(broker: TestBroker, protocol: string, sizes: number[]): Promise<void> {
  const sim = SIMS[protocol];
  if (!sim) throw new Error(`no heap run for "${protocol}" (known: ${Object.keys(SIMS).join(", ")})`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-heap-"));
  const file = join(dir, "evse2mqtt.toml");
  const base = `heap${protocol}`;
  const sections = PLUGINS.map((p) => `[${p.name}]\n${p.name === protocol ? sim.section(port) : "enabled = false"}\n`);
  writeFileSync(file, [`[mqtt]\nurl = "${broker.url}"\nbase_topic = "${base}"\nclient_id = "${base}"`, "[homeassistant]\ndiscovery = true", ...sections].join("\n"));
  const config = loadConfig(PLUGINS, { file, fileRequired: true, env: {}, flags: [] });
  const bridge = await startBridge(config, PLUGINS, createLogger({ level: "error", json: false }));
  const probe = await MqttProbe.connect(broker.url, [`${base}/+/availability`]);
  const online = new Set<string>();
  probe.client.on("message", (topic, payload) => {
    const id = topic.split("/")[1] ?? "";
    if (payload.toString() === "online") online.add(id);
    else online.delete(id);
  });
  const sims: CliProcess[] = [];
  try {
    await sleep(1000);
    const zero = await snapshot();
    for (const n of sizes) {
      // One simulator process per size: the first n chargers of the previous one come back as the same chargers.
      await Promise.all(sims.splice(0).map((p) => p.stop()));
      sims.push(simulatorProcess([...sim.args(port, n), "--log-level", "warn"]));
      const all = await waitFor(() => online.size >= n, { timeoutMs: 90_000, idleMs: 30_000, progress: () => online.size, stepMs: 200 });
      await sleep(5000);
      const s = await snapshot();
      const count = online.size;
      const grown = [...s.types].map(([name, t]) => {
        const before = zero.types.get(name) ?? { bytes: 0, count: 0 };
        return { name, bytes: (t.bytes - before.bytes) / count, count: (t.count - before.count) / count };
      });
      grown.sort((a, b) => b.bytes - a.bytes);
      process.stdout.write(
        `\n${protocol}, ${count}${all ? "" : ` (of ${n})`} idle chargers: JS heap ${kib((s.heap - zero.heap) / count)} KiB/charger, ` +
          `${((s.objects - zero.objects) / count).toFixed(0)} objects/charger; JS heap reserved ${kib((s.capacity - zero.capacity) / count)} KiB, ` +
          `outside it ${kib((s.extra - zero.extra) / count)} KiB; RSS of this process ${kib(((s.rss - zero.rss) * 1048576) / count)} KiB/charger; ` +
          `a full GC takes ${s.gcMs.toFixed(1)} ms (${zero.gcMs.toFixed(1)} ms with none)\n`,
      );
      for (const g of grown.slice(0, 14)) process.stdout.write(`  ${g.name.padEnd(34)} ${kib(g.bytes).padStart(7)} KiB  ${g.count.toFixed(1).padStart(6)} per charger\n`);
    }
  } finally {
    await Promise.all(sims.map((p) => p.stop()));
    await probe.close();
    await bridge.stop();
  }
}

const protocols = (process.argv[2] ?? "dehne,ocpp,evsemaster").split(",");
const sizes = (process.argv[3] ?? "100,1000").split(",").map(Number);
const broker = await startBroker();
try {
  for (const p of protocols) await measure(broker, p, sizes);
} finally {
  await broker.dispose();
}
process.exit(0);
