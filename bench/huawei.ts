// Huawei PSU link (the bridge dials, the PSU is the Modbus master): register reads answered per
// second, the 1 s unsolicited-report cadence under load (jitter), and memory per PSU link. The PSUs
// are simulated in this (bench) process; the bridge is the child process.
import { Exchange } from "../lib/exchange.ts";
import { framed, type Link } from "../lib/link.ts";
import { listenTcp } from "../lib/tcp.ts";
import { type Adu, type AduOrBad, psuCodec } from "../protocols/huawei/codec.ts";
import { SimulatedPsu } from "../protocols/huawei/sim/psu.ts";
import { type BenchSection, type Harness, type Metric } from "./harness.ts";
import { now, quantile, round, sleep, waitFor } from "./stats.ts";

const CONNECTOR = (n: number) => `[[huawei.units.connectors]]\nglobal_connector_number = ${n}\nmax_export_current_a = 100\nmax_export_power_w = 30000\n`;
const unitToml = (name: string, port: number, connectors = 1) =>
  `[[huawei.units]]\nname = "${name}"\nhost = "127.0.0.1"\nport = ${port}\n${Array.from({ length: connectors }, (_, i) => CONNECTOR(i + 1)).join("")}`;

/** A bare PSU master: one dispenser connection, reads with `window` requests in flight. */
async function readMaster(h: Harness): Promise<{ port: number; link(): Promise<Link<AduOrBad, Adu>> }> {
  let got: ((l: Link<AduOrBad, Adu>) => void) | undefined;
  const linked = new Promise<Link<AduOrBad, Adu>>((r) => (got = r));
  const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (l) => got?.(framed(l, psuCodec)));
  h.defer(() => server.close());
  return { port: server.port, link: () => linked };
}

/** Reads of 0x110B (1 register, as the mock polls) and of the 88-register connector block, alternating. */
async function reads(link: Link<AduOrBad, Adu>, window: number, ms: number): Promise<{ perSecond: number; p50: number | undefined; p99: number | undefined }> {
  const writer = link.writable.getWriter();
  const ex = new Exchange<Adu, Adu, number>({ send: (a) => writer.write(a), keyOf: (a) => (a.pdu.kind === "report" ? undefined : a.transactionId), maxInFlight: window, maxQueued: window * 2, timeoutMs: 5000 });
  const reader = link.readable.getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done || !value) return;
      if (value.ok) ex.receive(value.adu);
    }
  })();
  let tid = 0;
  let answered = 0;
  const rtts: number[] = [];
  const end = now() + ms;
  const t0 = now();
  const worker = async () => {
    while (now() < end) {
      const transactionId = (tid = (tid + 1) & 0xffff);
      const count = transactionId % 2 === 0 ? 1 : 88;
      const address = count === 1 ? 0x110b : 0x1100;
      const sent = now();
      const reply = await ex.request({ transactionId, unitId: 0xff, pdu: { kind: "readRequest", address, count } }, { key: transactionId });
      if (reply?.pdu.kind !== "readResponse" || reply.pdu.values.length !== count) throw new Error(`bad answer to a read of ${count}`);
      answered++;
      if (rtts.length < 200_000) rtts.push(now() - sent);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const perSecond = answered / ((now() - t0) / 1000);
  ex.close(new Error("done"));
  reader.releaseLock();
  writer.releaseLock();
  return { perSecond, p50: quantile(rtts, 0.5), p99: quantile(rtts, 0.99) };
}

async function throughput(h: Harness): Promise<Metric[]> {
  const master = await readMaster(h);
  await h.startBridge(() => ({ protocols: { huawei: `enabled = true\n${unitToml("bench", master.port)}` } }));
  const link = await master.link();
  await reads(link, 1, 1000); // warm-up
  const one = await reads(link, 1, 4000);
  const many = await reads(link, 16, 4000);
  return [
    { key: "huawei_reads_per_s_1", label: "Huawei register reads answered, 1 in flight (as a PSU polls)", value: round(one.perSecond, 0), unit: "reads/s", note: `round trip p50 ${round(one.p50, 2)} ms, p99 ${round(one.p99, 2)} ms; 1- and 88-register reads alternating` },
    { key: "huawei_reads_per_s_16", label: "Huawei register reads answered, 16 in flight", value: round(many.perSecond, 0), unit: "reads/s", note: `round trip p50 ${round(many.p50, 2)} ms, p99 ${round(many.p99, 2)} ms` },
  ];
}

/**
 * `count` PSU links (one simulated PSU each, cycling every 5 s as the mock does), all READY with
 * their capabilities: memory per link (configured links down → all READY) and the cadence of the
 * 1 s unsolicited reports the PSUs receive meanwhile.
 */
async function fleet(h: Harness, count: number): Promise<Metric[]> {
  // The OS may hand out a released port twice; two PSUs on one port would be a config error.
  const unique = new Set<number>();
  while (unique.size < count) unique.add(await h.freePort());
  const ports = [...unique];
  const bridge = await h.startBridge(() => ({ protocols: { huawei: `enabled = true\n${ports.map((p, i) => unitToml(`psu${i}`, p)).join("")}` } }));
  const down = await h.settledRss(bridge, 3, 500);
  const online = await h.onlineChargers(bridge);
  const sims = ports.map((port) => new SimulatedPsu({ listen: { host: "127.0.0.1", port }, cycleMs: 5000 }));
  h.defer(() => Promise.all(sims.map((s) => s.dispose())));
  const t0 = now();
  for (const s of sims) await s.start();
  const all = await waitFor(() => online.size >= count, { timeoutMs: 60_000, idleMs: 20_000, progress: () => online.size, stepMs: 100 });
  const readyS = (now() - t0) / 1000;
  // Past the third PSU cycle every link has its capabilities; then a window of steady reports.
  await sleep(11_000);
  const marks = sims.map((s) => s.latest?.reportTimes.length ?? 0);
  await sleep(15_000);
  const loaded = await h.settledRss(bridge, 3, 500);
  const gaps: number[] = [];
  sims.forEach((s, i) => {
    const t = s.latest?.reportTimes.slice(marks[i] ?? 0) ?? [];
    for (let k = 1; k < t.length; k++) gaps.push(Math.abs((t[k] ?? 0) - (t[k - 1] ?? 0) - 1000));
  });
  const perLink = loaded !== undefined && down !== undefined ? ((loaded - down) * 1024) / count : undefined;
  return [
    { key: "huawei_links_ready", label: `Huawei PSU links READY (of ${count})`, value: online.size, unit: "", ...(all ? {} : { note: `only ${online.size}/${count} after ${round(readyS)} s` }) },
    { key: "huawei_ready_s", label: `Huawei ${count} PSUs start → all READY`, value: all ? round(readyS) : null, unit: "s" },
    { key: "huawei_report_jitter_p50_ms", label: `Huawei 1 s report cadence, |interval − 1 s| p50 (${count} links)`, value: round(quantile(gaps, 0.5), 1), unit: "ms", note: `${gaps.length} intervals` },
    { key: "huawei_report_jitter_p99_ms", label: `Huawei 1 s report cadence, |interval − 1 s| p99 (${count} links)`, value: round(quantile(gaps, 0.99), 1), unit: "ms" },
    { key: "huawei_rss_links_down_mib", label: `Huawei bridge RSS, ${count} links configured, PSUs down`, value: round(down), unit: "MiB" },
    { key: `huawei_rss_${count}_mib`, label: `Huawei bridge RSS, ${count} links READY`, value: round(loaded), unit: "MiB" },
    { key: "huawei_kib_per_link", label: `Huawei memory per PSU link (ΔRSS / ${count})`, value: round(perLink), unit: "KiB" },
  ];
}

export const huaweiSection: BenchSection = {
  protocol: "huawei",
  // A PSU nobody listens for: the dialer backs off to one attempt every ~5 s.
  idleConfig: (port) => `enabled = true\n${unitToml("idle", port)}`,
  async run(h) {
    return [
      ...(await h.part("huawei_reads", "Huawei register reads answered", 40_000, () => throughput(h))),
      ...(await h.part("huawei_fleet", "Huawei 100 PSU links", 120_000, () => fleet(h, 100))),
    ];
  },
};
