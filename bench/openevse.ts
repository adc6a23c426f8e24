// OpenEVSE (RAPI): round trips per second through the bridge and `$AT` → MQTT latency over a pty pair
// (socat; TCP without it), and memory per controller behind loopback TCP ports (the way ser2net
// carries a serial line). The simulated controllers live in this (bench) process; the bridge is the
// child process.
import { hasSocat } from "../test/support/pty-pair.ts";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keepDialing } from "../lib/dialer.ts";
import type { Link } from "../lib/link.ts";
import { silentLogger } from "../lib/log.ts";
import { openSerial } from "../lib/serial.ts";
import type { Listener } from "../lib/sockets.ts";
import { listenTcp } from "../lib/tcp.ts";
import { RAPI_BAUD } from "../protocols/openevse/port.ts";
import { SimHost } from "../protocols/openevse/sim/host.ts";
import { type BenchSection, type Harness, type Metric } from "./harness.ts";
import { now, quantile, round, sleep, waitFor } from "./stats.ts";

/** Gap between `$AT` notifications in the latency run. */
const GAP_MS = 20;

interface Served {
  host: SimHost;
  /** What the bridge's `port` key says: `tcp://…` or the pty device path. */
  device: string;
}


/** One simulator behind a pty pair made by socat, its own end opened as a serial device; TCP without socat. */
async function serveOne(h: Harness, pty: boolean): Promise<Served & { over: string }> {
  if (!pty || !hasSocat()) {
    const [s] = await serve(h, 1);
    if (!s) throw new Error("no simulator");
    return { ...s, over: "TCP" };
  }
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-"));
  const bridgeEnd = join(dir, "ttyBridge");
  const simEnd = join(dir, "ttySim");
  const socat: ChildProcess = spawn("socat", [`PTY,link=${bridgeEnd},raw,echo=0`, `PTY,link=${simEnd},raw,echo=0`], { stdio: "ignore" });
  if (!(await waitFor(() => existsSync(bridgeEnd) && existsSync(simEnd), { timeoutMs: 5000 }))) throw new Error("socat made no pty pair");
  const host = new SimHost({ tickMs: 250 });
  const line = keepDialing(() => openSerial({ path: simEnd, baud: RAPI_BAUD }), (link) => host.attach(link), { backoff: { minMs: 20, maxMs: 200, stableMs: 0 }, log: silentLogger, what: "bench simulator pty" });
  h.defer(async () => {
    await line.stop();
    host.stop();
    socat.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });
  return { host, device: bridgeEnd, over: "a pty" };
}

async function serve(h: Harness, count: number): Promise<Served[]> {
  const out: (Served & { server: Listener })[] = [];
  for (let i = 0; i < count; i++) {
    const host = new SimHost({ tickMs: 250 });
    const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (link: Link) => void host.attach(link));
    out.push({ host, device: `tcp://127.0.0.1:${server.port}`, server });
  }
  h.defer(async () => {
    for (const s of out) {
      s.host.stop();
      await s.server.close();
    }
  });
  return out;
}

/** The `[openevse]` section: one controller per simulator, compat bases unique to this bridge. */
function section(base: string, sims: readonly Served[]): string {
  const entries = sims.map((s, i) => `{ name = "oe${i}", port = "${s.device}", base_topic = "${base}_oe${i}", announce_topic = "${base}_oe${i}/announce" }`);
  return `controllers = [\n${entries.join(",\n")}\n]`;
}

/**
 * `/request get $GV` kept `window` deep against one controller: every request is one RAPI round trip
 * (one command in flight per controller, §5), counted at the simulated controller.
 */
async function roundTrips(h: Harness, total: number, window: number): Promise<Metric[]> {
  const sim = await serveOne(h, true);
  const bridge = await h.startBridge((base) => ({ protocols: { openevse: section(base, [sim]) } }));
  const probe = await h.probe([`${bridge.base}/oe0/response`, `${bridge.base}/oe0/availability`]);
  await probe.wait(`${bridge.base}/oe0/availability`, (m) => m.text === "online", 20_000);
  let done = 0;
  let errors = 0;
  probe.client.on("message", (topic, payload) => {
    if (!topic.endsWith("/response")) return;
    done++;
    if (payload.includes('"error"')) errors++;
  });
  const run = async (n: number) => {
    const start = done;
    let sent = 0;
    const gv = () => sim.host.received.filter((l) => l.startsWith("$GV")).length;
    const gv0 = gv();
    const t0 = now();
    while (sent < n) {
      if (sent - (done - start) < window) {
        sent++;
        void probe.publish(`${bridge.base}/oe0/request`, { transaction: sent, action: "get", args: { code: "GV" } });
      } else await sleep(1);
    }
    await waitFor(() => done - start >= n, { timeoutMs: 60_000, idleMs: 10_000, progress: () => done });
    const s = (now() - t0) / 1000;
    return { requests: (done - start) / s, rapi: (gv() - gv0) / s };
  };
  await run(100);
  const r = await run(total);
  await bridge.stop();
  return [
    { key: "openevse_rapi_round_trips_per_s", label: `OpenEVSE RAPI round trips/s over ${sim.over} (/request get, ${window} in flight)`, value: round(r.rapi, 0), unit: "/s", note: "one command in flight per controller, as RAPI requires" },
    { key: "openevse_requests_per_s", label: "OpenEVSE /request → /response completed", value: round(r.requests, 0), unit: "/s", ...(errors > 0 ? { note: `${errors} error replies` } : {}) },
  ];
}

/** `$AT` from the controller (a car plugged in or out) → the compatible `state` topic on MQTT. */
async function atLatency(h: Harness, events: number): Promise<Metric[]> {
  const sim = await serveOne(h, true);
  const bridge = await h.startBridge((base) => ({ protocols: { openevse: section(base, [sim]) } }));
  const topic = `${bridge.base}_oe0/state`;
  const probe = await h.probe([topic, `${bridge.base}/oe0/availability`]);
  await probe.wait(`${bridge.base}/oe0/availability`, (m) => m.text === "online", 20_000);
  const arrivals: { state: string; at: number }[] = [];
  probe.client.on("message", (t, payload) => {
    if (t === topic) arrivals.push({ state: payload.toString(), at: now() });
  });
  const latencies: number[] = [];
  let lost = 0;
  for (let i = 0; i < events; i++) {
    const plug = i % 2 === 0;
    const want = plug ? "2" : "1";
    const from = arrivals.length;
    const t0 = now();
    await (plug ? sim.host.plugIn() : sim.host.unplug());
    const ok = await waitFor(() => arrivals.slice(from).some((a) => a.state === want), { timeoutMs: 2000, stepMs: 1 });
    const hit = arrivals.slice(from).find((a) => a.state === want);
    if (ok && hit) latencies.push(hit.at - t0);
    else lost++;
    await sleep(GAP_MS);
  }
  await bridge.stop();
  const warm = latencies.slice(10);
  return [
    { key: "openevse_at_p50_ms", label: `OpenEVSE $AT → MQTT latency over ${sim.over} (1 every ~${GAP_MS} ms), p50`, value: round(quantile(warm, 0.5), 2), unit: "ms", note: `${latencies.length}/${events} seen${lost ? `, ${lost} lost` : ""}` },
    { key: "openevse_at_p99_ms", label: "OpenEVSE $AT → MQTT latency, p99", value: round(quantile(warm, 0.99), 2), unit: "ms" },
  ];
}

/** RSS with `count` controllers answering and polled (heartbeat every second), per controller. */
async function fleet(h: Harness, count: number): Promise<Metric[]> {
  const sims = await serve(h, count);
  const idle = await h.startBridge((base) => ({ protocols: { openevse: section(base, sims.slice(0, 1)) } }));
  const probe1 = await h.probe([`${idle.base}/+/availability`]);
  await probe1.wait(`${idle.base}/oe0/availability`, (m) => m.text === "online", 20_000);
  const one = await h.settledRss(idle, 3, 500);
  await idle.stop();
  const bridge = await h.startBridge((base) => ({ protocols: { openevse: section(base, sims) } }));
  const online = await h.onlineChargers(bridge);
  const all = await waitFor(() => online.size >= count, { timeoutMs: 60_000, idleMs: 20_000, progress: () => online.size });
  await sleep(3000);
  const loaded = await h.settledRss(bridge, 5, 600);
  const onlineAtEnd = online.size;
  await bridge.stop();
  const per = loaded !== undefined && one !== undefined ? ((loaded - one) * 1024) / (count - 1) : undefined;
  return [
    { key: "openevse_online", label: `OpenEVSE controllers online (of ${count})`, value: onlineAtEnd, unit: "", ...(all ? {} : { note: "not all came online" }) },
    { key: `openevse_rss_${count}_mib`, label: `OpenEVSE bridge RSS with ${count} controllers`, value: round(loaded), unit: "MiB" },
    { key: "openevse_kib_per_controller", label: `OpenEVSE memory per controller (ΔRSS 1 → ${count})`, value: round(per), unit: "KiB" },
  ];
}

export const openevseSection: BenchSection = {
  protocol: "openevse",
  // A controller that is not there: the bridge keeps dialling it, as after an unplug.
  idleConfig: (port) => `controllers = [{ name = "idle", port = "tcp://127.0.0.1:${port}" }]`,
  async run(h) {
    return [
      ...(await h.part("openevse_round_trips", "OpenEVSE RAPI round trips", 60_000, () => roundTrips(h, 2000, 16))),
      ...(await h.part("openevse_at_latency", "OpenEVSE $AT → MQTT latency", 45_000, () => atLatency(h, 200))),
      ...(await h.part("openevse_fleet", "OpenEVSE memory per controller", 90_000, () => fleet(h, 50))),
    ];
  },
};
