// The PSU link when things go wrong: the PSU restarts, sends garbage, accepts and drops every
// connection, or falls silent. Real sockets, real Mosquitto, the simulated PSU.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Link } from "../../../lib/link.ts";
import { listenTcp } from "../../../lib/tcp.ts";
import type { SimulatedPsu } from "../../../protocols/huawei/sim/psu.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { rig, type Rig, startSim, unit } from "./rig.ts";
import { hex } from "./vectors.ts";

setDefaultTimeout(30_000);
const file = brokerForFile();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function sim(opts: Parameters<typeof startSim>[0] = {}): Promise<SimulatedPsu> {
  const s = await startSim(opts);
  cleanup.push(() => s.dispose());
  return s;
}

async function bridge(units: Record<string, unknown>[]): Promise<Rig> {
  const r = await rig(file.url, units);
  cleanup.push(() => r.close());
  return r;
}

const online = (r: Rig, id: string, since = 0) => r.probe.wait(`${r.base}/${id}/availability`, (m) => m.text === "online", 10_000, since);
const offline = (r: Rig, id: string, since = 0) => r.probe.wait(`${r.base}/${id}/availability`, (m) => m.text === "offline", 10_000, since);

describe("PSU restart", () => {
  test("availability goes offline, capabilities are cleared, the link comes back by itself", async () => {
    const psu = await sim();
    const prefix = `hwr_${Date.now().toString(36)}`;
    const r = await bridge([unit("restart", psu, { telemetry_prefix: prefix })]);
    await online(r, "restart_1");
    await r.probe.waitJson(`${prefix}/connector/1`, (v) => v.max_rated_psu_current === 100);
    const before = psu.accepted;
    const since = r.probe.mark();
    await psu.stop();
    await offline(r, "restart_1", since);
    // The module clears the capabilities on a failed link (spec §5.1); here that is also published.
    await r.probe.waitJson(`${prefix}/connector/1`, (v) => v.max_rated_psu_current === null, 10_000, since);
    await psu.start();
    await online(r, "restart_1", since);
    await r.probe.waitJson(`${prefix}/connector/1`, (v) => v.max_rated_psu_current === 100, 10_000, since);
    expect(psu.accepted).toBe(before + 1);
    expect(r.logs.some((l) => l.includes("connection closed, will reconnect"))).toBe(true);
  });
});

describe("bad frames", () => {
  test("garbage closes only that connection; it reconnects and the other PSU link is untouched", async () => {
    const a = await sim();
    const b = await sim();
    const r = await bridge([unit("pa", a), unit("pb", b, { connectors: [{ global_connector_number: 2, max_export_current_a: 50, max_export_power_w: 20000 }] })]);
    await online(r, "pa_1");
    await online(r, "pb_2");
    const bConnection = b.latest;
    const [acceptedA, acceptedB] = [a.accepted, b.accepted];
    const since = r.probe.mark();
    // Protocol id 7: an MBAP header nothing can resynchronise after.
    await a.latest?.sendRaw(hex("0001 0007 0006 FF 03 0000 0001"));
    await offline(r, "pa_1", since);
    await online(r, "pa_1", since);
    expect(a.accepted).toBe(acceptedA + 1);
    expect(r.huawei.link("pa")?.badFrames).toBe(1);
    expect(r.logs.some((l) => l.includes("bad MBAP header: protocol id 7"))).toBe(true);
    // The sentinel: pa is back; pb never noticed.
    expect(b.accepted).toBe(acceptedB);
    expect(b.latest).toBe(bConnection);
    expect(bConnection?.isClosed).toBe(false);
    expect(r.probe.messages.filter((m) => m.seq >= since && m.topic === `${r.base}/pb_2/availability`)).toEqual([]);
  });

  test("a well-framed request with a broken PDU is answered with an exception, the link stays up", async () => {
    const a = await sim();
    const r = await bridge([unit("pc", a)]);
    await online(r, "pc_1");
    const c = a.latest;
    const reply = await c?.request({ kind: "invalid", functionCode: 0x03, reason: "short", data: Uint8Array.of(0x00) });
    expect(reply).toEqual({ kind: "exception", functionCode: 0x03, code: 0x03 });
    expect(c?.isClosed).toBe(false);
    expect(a.accepted).toBe(1);
  });
});

describe("reconnect back-off (spec §1.1)", () => {
  test("a PSU that accepts and closes at once sees a slowing trickle of attempts, not a storm", async () => {
    const arrivals: number[] = [];
    const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (link: Link) => {
      arrivals.push(Date.now());
      link.close("accepted and dropped");
    });
    cleanup.push(() => server.close());
    const r = await bridge([unit("drop", { port: server.port })]);
    await until(() => arrivals.length >= 9, "nine connections", 15_000);
    const first = arrivals[0] ?? 0;
    const span = (arrivals[8] ?? 0) - first;
    // 10 ms doubling: the 9th connection comes 10·(2⁸−1) = 2550 ms ± 20 % after the first.
    expect(span).toBeGreaterThan(1800);
    // The gaps grow: the last four together last many times the first four (nominally 2400 vs 150 ms).
    const gaps = arrivals.slice(1, 9).map((t, i) => t - (arrivals[i] ?? 0));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(gaps.slice(4))).toBeGreaterThan(3 * sum(gaps.slice(0, 4)));
    // Never READY, so the connector never came online.
    expect(r.probe.messages.filter((m) => m.topic === `${r.base}/drop_1/availability` && m.text === "online")).toEqual([]);
    expect(r.huawei.link("drop")?.attempts).toBeGreaterThanOrEqual(9);
  });
});

describe("supervision (spec §5.1)", () => {
  test("no Modbus PDU for silence_timeout_s ends the connection, which is then dialed again", async () => {
    // The PSU's first cycle comes at once, the next only after 20 s: the link falls silent.
    const psu = await sim({ cycleMs: 20_000 });
    const r = await bridge([unit("quiet", psu, { silence_timeout_s: 0.6 })]);
    await online(r, "quiet_1");
    const since = r.probe.mark();
    await offline(r, "quiet_1", since);
    expect(r.logs.some((l) => l.includes("no Modbus PDU from the PSU for 0.6 s"))).toBe(true);
    await until(() => psu.accepted >= 2, "the bridge dialed again");
  });
});

describe("GOOSE wanted but impossible", () => {
  test("the link runs telemetry-and-alarms only and says why: log, errors, refused power actions", async () => {
    const psu = await sim();
    const r = await bridge([unit("nog", psu, { goose: true, interface: "nope0" })]);
    await online(r, "nog_1");
    const s = await r.state("nog_1", (v) => Array.isArray(v.errors) && v.errors.some((e) => String(e).startsWith("GOOSE unavailable (")));
    expect(s.errors).toContain('GOOSE unavailable (interface "nope0": no such network interface): telemetry and alarms only, no power requests');
    expect(r.logs.some((l) => l.includes("GOOSE unavailable: this link carries telemetry and alarms only"))).toBe(true);
    const p = await r.request("nog_1", "car", { plugged: true });
    expect(p.error).toBe('power commands need GOOSE, which is unavailable here (interface "nope0": no such network interface): this link carries telemetry and alarms only');
    const a = await r.request("nog_1", "set_alarm", { alarm: "water", active: true });
    expect(a.status).toBe("ok");
    await until(() => psu.latest?.alarms.water === true, "the alarm still reaches the PSU");
  });
});
