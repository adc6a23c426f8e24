// Dehne-EVSE: memory with 1000 polled chargers, and notify-frame throughput/latency to MQTT.
// The simulated chargers live in this (bench) process; the bridge is the child process.
import { SimulatedDehne, simSerial } from "../protocols/dehne/sim/charger.ts";
import { encodeChargerMessage } from "../protocols/dehne/wire.ts";
import { type BenchSection, type Harness, loadMetrics, type Metric } from "./harness.ts";
import { burstResult, now, round, sleep, waitFor } from "./stats.ts";

const FIRMWARE = 4;
const NOTIFY = encodeChargerMessage({ type: "notify" }, FIRMWARE);
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

/** Memory with `count` chargers connected and polled every second, and the poll replies/s the bridge relays. */
async function fleet(h: Harness, count: number): Promise<Metric[]> {
  const port = await h.freePort();
  const bridge = await h.startBridge((base) => ({
    protocols: { dehne: `listen = "127.0.0.1:${port}"\ntopic_publish = "from_${base}"\ntopic_subscribe = "to_${base}"\npoll_interval_s = 1` },
  }));
  const idle = await h.settledRss(bridge, 3, 300);
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
  const t0 = now();
  const sims = await startSims(h, port, count, 1);
  const all = await waitFor(() => online.size >= count, { timeoutMs: 60_000, idleMs: 15_000, progress: () => online.size, stepMs: 100 });
  const connectS = (now() - t0) / 1000;
  const onlineAtWait = online.size;
  // A few poll rounds at poll_interval_s = 1, counting the data replies the bridge relays meanwhile.
  const r0 = replies;
  const w0 = now();
  await sleep(4000);
  const pollRate = (replies - r0) / ((now() - w0) / 1000);
  const loaded = await h.settledRss(bridge, 5, 600);
  const connected = sims.filter((s) => s.connected).length;
  const onlineCount = online.size;
  await Promise.all(sims.map((s) => s.stop()));
  await bridge.stop();
  const perCharger = loaded !== undefined && idle !== undefined ? ((loaded - idle) * 1024) / count : undefined;
  const note = all ? undefined : `only ${onlineAtWait}/${count} chargers online after ${round(connectS)} s`;
  return [
    { key: "dehne_online", label: `Dehne chargers online (of ${count})`, value: onlineCount, unit: "", ...(note ? { note } : {}) },
    { key: "dehne_connect_s", label: `Dehne ${count} chargers connect → all online`, value: all ? round(connectS) : null, unit: "s" },
    { key: "dehne_poll_replies_per_s", label: `Dehne poll replies relayed (${count} × 1/s)`, value: round(pollRate, 0), unit: "msg/s", note: `${connected} simulators still connected at the end` },
    { key: "dehne_baseline_rss_mib", label: "Dehne bridge RSS before chargers", value: round(idle), unit: "MiB" },
    { key: `dehne_rss_${count}_mib`, label: `Dehne bridge RSS with ${count} chargers`, value: round(loaded), unit: "MiB" },
    { key: "dehne_kib_per_charger", label: `Dehne memory per charger (ΔRSS / ${count})`, value: round(perCharger), unit: "KiB" },
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
  await run(5); // warm-up: JIT and connection buffers
  await sleep(500);
  const paced = burstResult(await run(4, GAP_MS));
  await sleep(500);
  const r = burstResult(await run(perCharger));
  await Promise.all(sims.map((s) => s.stop()));
  await bridge.stop();
  const what = `${chargers}×${perCharger} notify frames`;
  return loadMetrics({ key: "dehne", name: "Dehne", item: "frame", what, throughput: "burst throughput", latencyAt: "in the burst", delivered: "burst delivered / sent", gapMs: GAP_MS }, r, paced);
}

export const dehneSection: BenchSection = {
  protocol: "dehne",
  idleConfig: (port) => `listen = "127.0.0.1:${port}"`,
  async run(h) {
    return [
      ...(await h.part("dehne_burst", "Dehne burst throughput/latency", 45_000, () => burst(h, 50, 200))),
      ...(await h.part("dehne_fleet", "Dehne memory with 1000 chargers", 100_000, () => fleet(h, 1000))),
    ];
  },
};
