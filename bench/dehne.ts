// Dehne-EVSE: memory with 1000 polled chargers, and notify-frame throughput/latency to MQTT.
// The simulated chargers live in this (bench) process; the bridge is the child process.
import { SimulatedDehne, simSerial } from "../protocols/dehne/sim/charger.ts";
import { encodeChargerMessage } from "../protocols/dehne/wire.ts";
import { type BenchSection, type Harness, loadMetrics, type Metric } from "./harness.ts";
import { aroundLoad, FLEET_SIZES, fleetMemory } from "./memory.ts";
import { burstResult, now, round, sleep, waitFor } from "./stats.ts";

const FIRMWARE = 4;
const NOTIFY = encodeChargerMessage({ type: "notify" }, FIRMWARE);
const LABELS = { key: "dehne", name: "Dehne", unit: "charger" };
/** Gap between frames in the paced (light-load) latency run. */
const GAP_MS = 5;

interface Compat {
  message_type?: string;
  client_id?: string;
}

/** Simulators aimed at 127.0.0.1:`port`, started in parallel batches, stopped at cleanup. */
async function startSims(h: Harness, port: number, count: number, first: number): Promise<SimulatedDehne[]> {
  const sims = Array.from({ length: count }, (_, i) => new SimulatedDehne({ target: { host: "127.0.0.1", port }, serial: simSerial(first + i), firmware: FIRMWARE, reconnectMs: 1000 }));
  h.defer(() => Promise.all(sims.map((s) => s.stop())));
  for (let i = 0; i < sims.length; i += 50) await Promise.all(sims.slice(i, i + 50).map((s) => s.start()));
  return sims;
}

/**
 * Memory per idle charger at each of `sizes` connected and polled every second (one bridge, the
 * fleet grown step by step), and the poll replies/s the bridge relays at the largest size.
 */
async function fleet(h: Harness, sizes: readonly number[]): Promise<Metric[]> {
  const port = await h.freePort();
  const bridge = await h.startBridge((base) => ({
    protocols: { dehne: `listen = "127.0.0.1:${port}"\ntopic_publish = "from_${base}"\ntopic_subscribe = "to_${base}"\npoll_interval_s = 1` },
  }));
  const probe = await h.probe([`${bridge.base}/+/availability`, `from_${bridge.base}`]);
  const online = new Set<string>();
  let replies = 0;
  probe.client.on("message", (topic, payload) => {
    if (topic === `from_${bridge.base}`) {
      if (payload.includes("response_collect_data")) replies++;
      return;
    }
    const id = topic.split("/")[1]!;
    if (payload.toString() === "online") online.add(id);
    else online.delete(id);
  });
  const sims: SimulatedDehne[] = [];
  let connectS: number | undefined;
  const grow = async (total: number) => {
    const t0 = now();
    sims.push(...(await startSims(h, port, total - sims.length, sims.length + 1)));
    const all = await waitFor(() => online.size >= total, { timeoutMs: 60_000, idleMs: 15_000, progress: () => online.size, stepMs: 100 });
    connectS = all ? (now() - t0) / 1000 : undefined;
    return { online: online.size, all };
  };
  // Two poll rounds with everyone in.
  const memory = await fleetMemory(h, bridge, LABELS, sizes, grow, () => sleep(2000));
  const largest = sizes.at(-1) ?? 0;
  // A few more poll rounds at poll_interval_s = 1, counting the data replies the bridge relays meanwhile.
  const r0 = replies;
  const w0 = now();
  await sleep(4000);
  const pollRate = (replies - r0) / ((now() - w0) / 1000);
  const connected = sims.filter((s) => s.connected).length;
  return [
    ...memory,
    { key: "dehne_connect_s", label: `Dehne ${largest - (sizes.at(-2) ?? 0)} more chargers connect → all online`, value: round(connectS), unit: "s" },
    { key: "dehne_poll_replies_per_s", label: `Dehne poll replies relayed (${largest} × 1/s)`, value: round(pollRate, 0), unit: "msg/s", note: `${connected} simulators still connected at the end` },
  ];
}

/**
 * `chargers` × `perCharger` unsolicited notify frames sent at once; each must come out as a compat
 * `notify` message for that client_id, in order. Latency = delivery to our subscriber − send.
 */
async function burst(h: Harness, chargers: number, perCharger: number): Promise<Metric[]> {
  const port = await h.freePort();
  const bridge = await h.startBridge((base) => ({
    protocols: { dehne: `listen = "127.0.0.1:${port}"\ntopic_publish = "from_${base}"\ntopic_subscribe = "to_${base}"\npoll_interval_s = 0` },
  }));
  const topic = `from_${bridge.base}`;
  const probe = await h.probe([topic]);
  const received = new Map<string, number[]>();
  const connectedIds = new Set<string>();
  probe.client.on("message", (_t, payload) => {
    const at = now();
    let m: Compat;
    try {
      m = JSON.parse(payload.toString()) as Compat;
    } catch {
      return;
    }
    if (!m.client_id) return;
    if (m.message_type === "new_connection") connectedIds.add(m.client_id);
    if (m.message_type !== "notify") return;
    const list = received.get(m.client_id) ?? [];
    list.push(at);
    received.set(m.client_id, list);
  });
  const sims = await startSims(h, port, chargers, 100_001);
  if (!(await waitFor(() => connectedIds.size >= chargers, { timeoutMs: 20_000 }))) throw new Error(`only ${connectedIds.size}/${chargers} burst chargers connected`);
  const what = `${chargers}×${perCharger} notify frames`;
  const total = () => [...received.values()].reduce((n, l) => n + l.length, 0);
  /** `n` notify frames per charger, round-robin: back to back, or one every `gapMs`. */
  const run = async (n: number, gapMs = 0) => {
    received.clear();
    const sent = new Map<string, number[]>(sims.map((s) => [s.serial, []]));
    for (let k = 0; k < n; k++) {
      for (const s of sims) {
        sent.get(s.serial)!.push(now());
        void s.sendRaw(NOTIFY);
        if (gapMs > 0) await sleep(gapMs);
      }
    }
    await waitFor(() => total() >= n * sims.length, { timeoutMs: 30_000, idleMs: 5000, progress: total });
    return [...sent].flatMap(([id, times]) => times.map((sentAt, i) => ({ sentAt, receivedAt: received.get(id)?.[i] })));
  };
  const { result, metrics } = await aroundLoad(h, bridge, LABELS, `${chargers} chargers, ${what}`, async () => {
    await run(5); // warm-up: JIT and connection buffers
    await sleep(500);
    const paced = burstResult(await run(4, GAP_MS));
    await sleep(500);
    return { paced, r: burstResult(await run(perCharger)) };
  });
  await Promise.all(sims.map((s) => s.stop()));
  await bridge.stop();
  return [
    ...loadMetrics({ key: "dehne", name: "Dehne", item: "frame", what, throughput: "burst throughput", latencyAt: "in the burst", delivered: "burst delivered / sent", gapMs: GAP_MS }, result.r, result.paced),
    ...metrics,
  ];
}

export const dehneSection: BenchSection = {
  protocol: "dehne",
  idleConfig: (port) => `listen = "127.0.0.1:${port}"`,
  async run(h) {
    return [
      ...(await h.part("dehne_burst", "Dehne burst throughput/latency", 45_000, () => burst(h, 50, 200))),
      ...(await h.part("dehne_fleet", `Dehne memory with ${FLEET_SIZES.join(", ")} chargers`, 150_000, () => fleet(h, FLEET_SIZES))),
    ];
  },
};
