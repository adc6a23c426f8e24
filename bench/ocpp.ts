// OCPP 1.6J: charge points connected at once with the bridge's memory per charge point, and
// MeterValues throughput/latency from WebSocket frame to MQTT. The charge points are bare `ws`
// clients in this (bench) process, cheap enough for thousands; the bridge is the child process.
import { WebSocket } from "ws";
import { type BenchSection, type Harness, loadMetrics, type Metric, type RunningBridge } from "./harness.ts";
import { aroundLoad, FLEET_SIZES, fleetMemory } from "./memory.ts";
import { burstResult, now, round, rssMiB, sleep, waitFor, withTimeout } from "./stats.ts";

/** Gap between frames in the paced (light-load) latency run. */
const GAP_MS = 5;
/** Bridge heartbeat_interval_s (sent back in the BootNotification reply) and ping_interval_s. */
const HEARTBEAT_S = 10;
/** Handshakes in flight at once while a fleet connects. */
const CONNECT_BATCH = 100;

type Payload = Record<string, unknown>;

const LABELS = { key: "ocpp", name: "OCPP", unit: "charge point" };

/** Bridge section on loopback; the compat base is unique per bridge so retained topics never mix. */
const section = (port: number, compatBase: string) =>
  [`listen = "127.0.0.1:${port}"`, `heartbeat_interval_s = ${HEARTBEAT_S}`, `ping_interval_s = ${HEARTBEAT_S}`, 'auth_policy = "accept_all"', `compat_base = "${compatBase}"`, "max_charge_points = 10000"].join("\n");

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 120);

/** A bare OCPP-J charge point: one socket, CALLs out with their replies awaited, one at a time by the caller. */
class RawCp {
  private seq = 0;
  private pending = new Map<string, { resolve(p: Payload): void; reject(e: Error): void }>();
  /** Settles with the last CALL (OCPP-J: a charge point waits for each reply before its next CALL). */
  last: Promise<unknown> = Promise.resolve();

  constructor(readonly id: string, readonly ws: WebSocket) {
    ws.on("message", (data) => this.onMessage(String(data)));
    ws.on("close", () => {
      for (const p of this.pending.values()) p.reject(new Error("connection closed"));
      this.pending.clear();
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  busy = (): boolean => this.pending.size > 0;

  call(action: string, payload: Payload): Promise<Payload> {
    const id = String(++this.seq);
    const p = new Promise<Payload>((resolve, reject) => {
      if (!this.open) return reject(new Error("socket not open"));
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify([2, id, action, payload]));
    });
    this.last = p.catch(() => {});
    return p;
  }

  private onMessage(text: string): void {
    let frame: unknown[] = [];
    try {
      const f: unknown = JSON.parse(text);
      if (Array.isArray(f)) frame = f;
    } catch {
      return;
    }
    const id = String(frame[1]);
    // Replies only: no CS-initiated CALL is configured (one would be left to the bridge's timeout).
    const p = frame[0] === 3 || frame[0] === 4 ? this.pending.get(id) : undefined;
    if (!p) return;
    this.pending.delete(id);
    if (frame[0] === 3 && typeof frame[2] === "object" && frame[2] !== null) p.resolve(frame[2] as Payload);
    else p.reject(new Error(`CALLERROR ${String(frame[2])}: ${String(frame[3])}`));
  }
}

/** Opens `<url>/<id>` with subprotocol ocpp1.6; rejects on refusal or after 10 s. */
function connect(url: string, id: string): Promise<RawCp> {
  const ws = new WebSocket(`${url}/${id}`, ["ocpp1.6"]);
  const opened = new Promise<RawCp>((resolve, reject) => {
    ws.on("error", reject); // also keeps later socket errors from crashing the bench
    ws.once("open", () => resolve(new RawCp(id, ws)));
  });
  return withTimeout(opened, 10_000, "WebSocket handshake").catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
}

const status = (cp: RawCp, s: string) => cp.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: s, timestamp: new Date().toISOString() });

/** What a charge point says after connecting: BootNotification, connector Available, a first Heartbeat. */
async function boot(cp: RawCp): Promise<void> {
  const r = await cp.call("BootNotification", { chargePointVendor: "evse2mqtt", chargePointModel: "BenchCP", chargePointSerialNumber: cp.id });
  if (r.status !== "Accepted") throw new Error(`BootNotification ${String(r.status)}`);
  await status(cp, "Available");
  await cp.call("Heartbeat", {});
}

/** Starts a bridge with the OCPP section on a free port; returns it with its ws:// URL and compat base. */
async function ocppBridge(h: Harness): Promise<{ bridge: RunningBridge; url: string; compatBase: string }> {
  const port = await h.freePort();
  let compatBase = "";
  const bridge = await h.startBridge((base) => ({ protocols: { ocpp: section(port, (compatBase = `ocpp_${base}`)) } }));
  return { bridge, url: `ws://127.0.0.1:${port}`, compatBase };
}

/**
 * Charge points connect (`CONNECT_BATCH` handshakes at a time), boot and heartbeat every
 * HEARTBEAT_S; the fleet grows to each of `sizes` in turn (one bridge). One counts as in once the
 * bridge has published both its availability `online` and its compat `heartbeat` ON (so its
 * BootNotification and Heartbeat went through). RSS after one more heartbeat and ping round.
 */
async function fleet(h: Harness, sizes: readonly number[], budgetMs: number): Promise<Metric[]> {
  const { bridge, url, compatBase } = await ocppBridge(h);
  const probe = await h.probe([`${bridge.base}/+/availability`, `${compatBase}/+/state/heartbeat`]);
  const online = new Set<string>();
  const beating = new Set<string>();
  probe.client.on("message", (topic, payload) => {
    const parts = topic.split("/");
    const set = parts.at(-1) === "availability" ? online : beating;
    if (payload.toString() === (set === online ? "online" : "ON")) set.add(parts[1]!);
    else set.delete(parts[1]!);
  });
  const cps: RawCp[] = [];
  h.defer(() => cps.forEach((c) => c.ws.terminate()));
  const errors = new Map<string, number>();
  const fail = (e: unknown) => errors.set(errText(e), (errors.get(errText(e)) ?? 0) + 1);
  // Heartbeats from one sweeping timer (not a timer per charge point): each one every HEARTBEAT_S.
  let cursor = 0;
  const sweeper = setInterval(() => {
    const perTick = Math.ceil((cps.length * 250) / (HEARTBEAT_S * 1000));
    for (let k = 0; k < perTick && cps.length > 0; k++) {
      const c = cps[cursor++ % cps.length]!;
      if (c.open && !c.busy()) void c.call("Heartbeat", {}).catch(() => {});
    }
  }, 250);
  h.defer(() => clearInterval(sweeper));
  const opened = (cp: RawCp) => {
    cps.push(cp);
    void boot(cp).catch(fail);
  };
  const ready = () => [...online].reduce((n, id) => n + (beating.has(id) ? 1 : 0), 0);
  const end = now() + budgetMs; // no new handshakes, and no more waiting, after this
  let dialled = 0;
  let connectS: number | undefined;
  const grow = async (total: number) => {
    const t0 = now();
    while (dialled < total && now() < end) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH, total - dialled) }, (_, k) => `CP${String(dialled + k + 1).padStart(5, "0")}`);
      dialled += batch.length;
      await Promise.all(batch.map((id) => connect(url, id).then(opened, fail)));
    }
    const all = await waitFor(() => ready() >= total, { timeoutMs: Math.max(1000, end - now()), idleMs: 15_000, progress: ready, stepMs: 100 });
    connectS = all ? (now() - t0) / 1000 : undefined;
    const alive = rssMiB(bridge.process.pid) !== undefined;
    const errs = [...errors].map(([m, n]) => `${n}× ${m}`).join("; ");
    const note = `only ${ready()}/${total} online after ${round((now() - t0) / 1000)} s (${cps.length} handshakes done, ${online.size} availability online, ${beating.size} heartbeat ON${alive ? "" : ", bridge process gone"})${errs ? `; errors: ${errs}` : ""}`;
    return { online: ready(), all, ...(all ? {} : { note }) };
  };
  // A full heartbeat and ping round with everyone in.
  const memory = await fleetMemory(h, bridge, LABELS, sizes, grow, () => sleep(HEARTBEAT_S * 1000));
  const largest = sizes.at(-1) ?? 0;
  return [
    ...memory,
    { key: "ocpp_connect_s", label: `OCPP ${largest - (sizes.at(-2) ?? 0)} more charge points connect → all online`, value: round(connectS), unit: "s", note: `${cps.filter((c) => c.open).length} sockets still open at the end` },
  ];
}

/** A charger's usual sample set (as the project's simulator sends); the energy register (Wh) is the tag. */
const sample = (measurand: string, unit: string, value: string, phase?: string) => ({ value, measurand, unit, context: "Sample.Periodic", ...(phase ? { phase } : {}) });
const FIXED = [
  ...["L1", "L2", "L3"].map((p) => sample("Current.Import", "A", "16.0", p)),
  ...[["L1-N", "230.1"], ["L2-N", "229.8"], ["L3-N", "231.2"]].map(([p, v]) => sample("Voltage", "V", v!, p)),
  sample("Power.Active.Import", "kW", "11.058"),
  sample("Current.Offered", "A", "16.0"),
];
const meterValues = (transactionId: number, wh: string): Payload => ({
  connectorId: 1,
  transactionId,
  meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [...FIXED, sample("Energy.Active.Import.Register", "Wh", wh)] }],
});

/**
 * `chargers` booted charge points with a started transaction each send `perCharger` MeterValues,
 * round-robin, each charge point waiting for its CALLRESULT before its next CALL (so at most
 * `chargers` in flight). Every frame carries a unique energy register value, matched exactly on the
 * compat `<compat_base>/<identity>/state/energy_active_import_register` topic (payload = value as sent).
 */
async function burst(h: Harness, chargers: number, perCharger: number): Promise<Metric[]> {
  const { bridge, url, compatBase } = await ocppBridge(h);
  const received = new Map<string, number>(); // energy register value → arrival
  const probe = await h.probe([`${compatBase}/+/state/energy_active_import_register`]);
  probe.client.on("message", (_t, payload) => received.set(payload.toString(), now()));
  const cps = await Promise.all(Array.from({ length: chargers }, (_, i) => connect(url, `MV${i + 1}`)));
  h.defer(() => cps.forEach((c) => c.ws.terminate()));
  const charging = async (cp: RawCp) => {
    await boot(cp);
    const r = await cp.call("StartTransaction", { connectorId: 1, idTag: "BENCH", meterStart: 0, timestamp: new Date().toISOString() });
    await status(cp, "Charging");
    return Number(r.transactionId);
  };
  const tx = await Promise.all(cps.map(charging));
  const what = `${chargers}×${perCharger} MeterValues, ≤${chargers} in flight`;
  let counter = 1_000_000;
  /** `n` MeterValues per charge point, round-robin, one every `gapMs` if set. */
  const run = async (n: number, gapMs = 0) => {
    const sent: { key: string; sentAt: number }[] = [];
    let replies = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < cps.length; i++) {
        const cp = cps[i]!;
        await cp.last;
        const key = String(counter++);
        const frame = meterValues(tx[i]!, key);
        sent.push({ key, sentAt: now() });
        void cp.call("MeterValues", frame).then(() => replies++, () => {});
        if (gapMs > 0) await sleep(gapMs);
      }
    }
    const got = () => sent.reduce((x, s) => x + (received.has(s.key) ? 1 : 0), 0);
    await waitFor(() => got() >= sent.length, { timeoutMs: 30_000, idleMs: 5000, progress: got, stepMs: 50 });
    return { pairs: sent.map((s) => ({ sentAt: s.sentAt, receivedAt: received.get(s.key) })), replies };
  };
  const { result, metrics } = await aroundLoad(h, bridge, LABELS, `${chargers} charge points, ${what}`, async () => {
    await run(5); // warm-up: JIT and connection buffers
    await sleep(500);
    const paced = burstResult((await run(4, GAP_MS)).pairs);
    await sleep(500);
    return { paced, full: await run(perCharger) };
  });
  const { paced, full } = result;
  const r = burstResult(full.pairs);
  await bridge.stop();
  const burstNote = `${full.replies}/${r.sent} CALLRESULTs; a frame = 12 compat topics + 1 normalized state`;
  return [
    ...loadMetrics({ key: "ocpp", name: "OCPP", item: "MeterValues", what, throughput: "throughput", latencyAt: "at that load", delivered: "delivered / sent at that load", gapMs: GAP_MS, burstNote }, r, paced),
    ...metrics,
  ];
}

export const ocppSection: BenchSection = {
  protocol: "ocpp",
  idleConfig: (port) => `listen = "127.0.0.1:${port}"`,
  async run(h) {
    return [
      ...(await h.part("ocpp_burst", "OCPP MeterValues throughput/latency", 60_000, () => burst(h, 50, 200))),
      ...(await h.part("ocpp_fleet", `OCPP memory with ${FLEET_SIZES.join(", ")} charge points`, 150_000, () => fleet(h, FLEET_SIZES, 120_000))),
    ];
  },
};
