// EVSEMaster (UDP): status-datagram throughput/latency to MQTT, and memory with 500 chargers that
// log in and keep their sessions. The simulated chargers live in this process; the bridge is the child.
import dgram from "node:dgram";
import { createLogger } from "../lib/log.ts";
import { encodeEvse } from "../protocols/evsemaster/codec.ts";
import { MODELS, SimState } from "../protocols/evsemaster/sim/model.ts";
import { DEFAULT_FLEET, nthSerial, startFleet } from "../protocols/evsemaster/sim/fleet.ts";
import { type BenchSection, type Harness, loadMetrics, type Metric } from "./harness.ts";
import { burstResult, now, round, sleep, waitFor } from "./stats.ts";

const PIN = "246810";
const MODEL = MODELS.telestar!;
/** Gap between datagrams in the paced (light-load) latency run. */
const GAP_MS = 5;

/** Bridge section: only this bench's chargers, on loopback, with a fixed zone so sims and bridge agree. */
// max_discovered raised: the bench's chargers are deliberately many unconfigured ones.
const section = (port: number, extra = "") => `bind = "127.0.0.1"\nport = ${port}\ntime_zone = "UTC"\nmax_discovered = 1000\n${extra}`;

interface Detail {
  logged_in?: boolean;
  state?: { energy_counter_kwh?: number } | null;
}

/** `<base>/<serial>/evsemaster` detail documents, parsed, to `onDetail`. */
async function details(h: Harness, base: string, onDetail: (serial: string, d: Detail, at: number) => void): Promise<void> {
  const probe = await h.probe([`${base}/+/evsemaster`]);
  probe.client.on("message", (topic, payload) => {
    const at = now();
    try {
      onDetail(topic.split("/")[1]!, JSON.parse(payload.toString()) as Detail, at);
    } catch {
      // not ours
    }
  });
}

/**
 * `chargers` bare UDP sockets, each a charger that beacons once and then pushes `perCharger` status
 * datagrams, round-robin, as fast as the bridge takes them with at most `window` not yet seen on MQTT
 * (UDP has no flow control: an open-loop blast only measures the drop rate of the bridge's datagram
 * receive queue). Each push carries a unique energy counter, so its detail document on MQTT is matched
 * exactly; lost datagrams show as delivered < sent. No PIN is configured, so the bridge never logs in.
 */
async function burst(h: Harness, chargers: number, perCharger: number, window: number): Promise<Metric[]> {
  const port = await h.freePort();
  const bridge = await h.startBridge(() => ({ protocols: { evsemaster: section(port) } }));
  const received = new Map<string, number>(); // `${serial}:${counter}` → arrival
  const seen = new Set<string>();
  let wake: (() => void) | undefined;
  await details(h, bridge.base, (serial, d, at) => {
    seen.add(serial);
    const kwh = d.state?.energy_counter_kwh;
    if (typeof kwh === "number") received.set(`${serial}:${Math.round(kwh * 100)}`, at);
    wake?.();
  });
  /** True on the next delivery, false after `ms` without one (a lost datagram must not stall the sender). */
  const nextDelivery = (ms: number) =>
    new Promise<boolean>((r) => {
      const t = setTimeout(() => r(false), ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        r(true);
      };
    });
  const socks = await Promise.all(
    Array.from({ length: chargers }, async (_, i) => {
      const sock = dgram.createSocket("udp4");
      sock.on("error", () => {});
      sock.on("message", () => {}); // the bridge's StatusAcks
      h.defer(() => new Promise<void>((r) => sock.close(() => r())));
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
      return { sock, serial: nthSerial("77000000000a0000", i) };
    }),
  );
  const send = (sock: dgram.Socket, bytes: Uint8Array) => sock.send(bytes, port, "127.0.0.1");
  // As real chargers do (every 5 s), beacon again until discovered: the bridge says `online` on
  // MQTT before its protocols have bound their ports, so a first beacon may find nobody listening.
  for (let round = 0; round < 40 && seen.size < chargers; round++) {
    for (const c of socks) if (!seen.has(c.serial)) send(c.sock, encodeEvse(c.serial, { type: "beacon", info: MODEL.info }));
    await waitFor(() => seen.size >= chargers, { timeoutMs: 500 });
  }
  if (seen.size < chargers) throw new Error(`only ${seen.size}/${chargers} UDP chargers discovered`);
  const base = new SimState(MODEL, true, 16).status();
  let counter = 1;
  /** `n` status pushes per charger, round-robin, with at most `inFlightMax` unseen, one every `gapMs` if set. */
  const run = async (n: number, inFlightMax: number, gapMs = 0) => {
    const sent: { key: string; sentAt: number }[] = [];
    const start = received.size;
    let lost = 0; // written off after a quiet spell
    const inFlight = () => sent.length - (received.size - start) - lost;
    for (let k = 0; k < n; k++) {
      for (const c of socks) {
        while (inFlight() >= inFlightMax) if (!(await nextDelivery(250))) lost += inFlight();
        const seq = counter++;
        const bytes = encodeEvse(c.serial, { type: "status", polled: false, status: { ...base, energyKwh: seq / 100 } });
        sent.push({ key: `${c.serial}:${seq}`, sentAt: now() });
        send(c.sock, bytes);
        if (gapMs > 0) await sleep(gapMs);
      }
    }
    const got = () => sent.reduce((x, s) => x + (received.has(s.key) ? 1 : 0), 0);
    await waitFor(() => got() >= sent.length, { timeoutMs: 30_000, idleMs: 3000, progress: got, stepMs: 50 });
    return sent.map((s) => ({ sentAt: s.sentAt, receivedAt: received.get(s.key) }));
  };
  await run(5, window); // warm-up
  await sleep(500);
  const paced = burstResult(await run(4, window, GAP_MS));
  await sleep(500);
  const r = burstResult(await run(perCharger, window));
  await sleep(500);
  const blast = burstResult(await run(20, Number.POSITIVE_INFINITY));
  await bridge.stop();
  const what = `${chargers}×${perCharger} status datagrams, ≤${window} in flight`;
  return [
    ...loadMetrics({ key: "evsemaster", name: "EVSEMaster", item: "datagram", what, throughput: "throughput", latencyAt: "at that load", delivered: "delivered / sent at that load", gapMs: GAP_MS }, r, paced),
    {
      key: "evsemaster_blast_delivered_ratio",
      label: `EVSEMaster open-loop blast (${blast.sent} at once) delivered / sent`,
      value: round(blast.delivered / blast.sent, 3),
      unit: "",
      note: `${blast.delivered}/${blast.sent}; UDP has no flow control, the rest is dropped by socket buffers or the bridge's datagram queue`,
    },
  ];
}

/** `count` simulated chargers (the project's simulator) that beacon, log in with the PIN and keep the session. */
async function fleet(h: Harness, count: number): Promise<Metric[]> {
  const port = await h.freePort();
  const bridge = await h.startBridge(() => ({ protocols: { evsemaster: section(port, `default_password = "${PIN}"\ndiscover_login = true`) } }));
  const idle = await h.settledRss(bridge, 3, 300);
  const loggedIn = new Set<string>();
  await details(h, bridge.base, (serial, d) => {
    if (d.logged_in === true) loggedIn.add(serial);
    else loggedIn.delete(serial);
  });
  const t0 = now();
  const { chargers, running } = await startFleet(
    {
      ...DEFAULT_FLEET,
      count,
      model: "mixed",
      password: PIN,
      serial: "7700000000100000",
      target: { address: "127.0.0.1", port },
      bind: "127.0.0.1",
      beaconMs: 1000,
      statusMs: 2000,
      timeZone: "UTC",
    },
    createLogger({ level: "warn", json: false }),
  );
  h.defer(() => running.stop());
  // A login lost with its datagrams is retried after login_timeout_s (5 s), then after relogin_min_s (10 s).
  const all = await waitFor(() => loggedIn.size >= count, { timeoutMs: 60_000, idleMs: 30_000, progress: () => loggedIn.size, stepMs: 100 });
  const loginS = (now() - t0) / 1000;
  const inAtWait = loggedIn.size;
  await sleep(4000); // two status rounds (statusMs = 2000)
  const loaded = await h.settledRss(bridge, 5, 600);
  const simsIn = chargers.filter((c) => c.loggedIn).length;
  await running.stop();
  await bridge.stop();
  const perCharger = loaded !== undefined && idle !== undefined ? ((loaded - idle) * 1024) / count : undefined;
  const note = all ? `${simsIn} simulators report a session` : `only ${inAtWait}/${count} logged in after ${round(loginS)} s`;
  return [
    { key: "evsemaster_logged_in", label: `EVSEMaster chargers logged in (of ${count})`, value: loggedIn.size, unit: "", note },
    { key: "evsemaster_login_s", label: `EVSEMaster ${count} chargers start → all logged in`, value: all ? round(loginS) : null, unit: "s" },
    { key: "evsemaster_baseline_rss_mib", label: "EVSEMaster bridge RSS before chargers", value: round(idle), unit: "MiB" },
    { key: `evsemaster_rss_${count}_mib`, label: `EVSEMaster bridge RSS with ${count} chargers`, value: round(loaded), unit: "MiB" },
    { key: "evsemaster_kib_per_charger", label: `EVSEMaster memory per charger (ΔRSS / ${count})`, value: round(perCharger), unit: "KiB" },
  ];
}

export const evsemasterSection: BenchSection = {
  protocol: "evsemaster",
  idleConfig: (port) => section(port),
  async run(h) {
    return [
      ...(await h.part("evsemaster_burst", "EVSEMaster burst throughput/latency", 45_000, () => burst(h, 50, 100, 64))),
      ...(await h.part("evsemaster_fleet", "EVSEMaster memory with 500 chargers", 100_000, () => fleet(h, 500))),
    ];
  },
};
