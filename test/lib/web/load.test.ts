// 1000 chargers, each changing its power every second (1000 hub publishes/s to a real Mosquitto),
// with the status page served over real HTTP: the bridge's event loop, its publish rate and every
// page client are measured without and with a full set of event streams (in another process) and
// the page open in headless Chromium. The numbers are printed; the bounds are generous (two shared
// cores) but fail when coalescing or client bounds stop working.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { Hub } from "../../../lib/hub.ts";
import { silentLogger } from "../../../lib/log.ts";
import { MqttLink } from "../../../lib/mqtt.ts";
import type { ChargerHandle } from "../../../lib/protocol.ts";
import { webSection } from "../../../lib/web/config.ts";
import { startWeb, type WebServer } from "../../../lib/web/server.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { Chromium } from "../../support/chromium.ts";
import { guarded } from "./support.ts";

setDefaultTimeout(120_000);
const shared = brokerForFile();
const CHARGERS = 1000;
const CLIENTS = 16;
const SECONDS = 5;
const ROOT = resolve(import.meta.dir, "../../..");

let mqtt: MqttLink;
let hub: Hub;
let web: WebServer;
let handles: ChargerHandle[] = [];
let driving: ReturnType<typeof setInterval> | undefined;
let updates = 0;

beforeAll(async () => {
  mqtt = new MqttLink(
    { url: shared.url, client_id: "webload", reject_unauthorized: true, base_topic: "webload", queue_limit: 10_000, keepalive_s: 10, reconnect_min_s: 0.2, reconnect_max_s: 1 },
    silentLogger,
    () => ({ info: "{}" }),
  );
  await mqtt.start(5000);
  hub = new Hub(mqtt, { base_topic: "webload", republish_s: 0, discovery: false, discovery_prefix: "homeassistant" }, silentLogger);
  hub.start();
  web = await startWeb({
    hub,
    mqtt,
    settings: webSection.parse({ listen: "127.0.0.1:0", max_clients: CLIENTS + 1 }),
    queueLimit: 10_000,
    facts: { version: "load", runtime: "bun", protocols: ["dehne"], startedAt: Date.now() },
    log: silentLogger,
  });
  handles = Array.from({ length: CHARGERS }, (_, i) =>
    hub.attach(`LOAD${String(i).padStart(4, "0")}`, { protocol: i % 2 ? "ocpp" : "dehne", name: `Charger ${i}`, capabilities: { enable: true, currentLimit: { min: 6, max: 32, step: 1 } } }, guarded()),
  );
  await Promise.all(handles.map((h, i) => h.update({ status: i % 3 ? "charging" : "available", enabled: true, current_limit_a: 16, power_w: 1000 + i, energy_total_wh: 50_000 + i, voltage_v: [230, 230, 230], current_a: [16, 16, 16] })));
  // Every charger changes its power once a second, spread evenly; a late timer catches up, so the
  // rate drops only when the process itself cannot keep up.
  const t0 = performance.now();
  driving = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * CHARGERS);
    for (; updates < due; updates++) {
      const i = updates % CHARGERS;
      void handles[i]?.update({ power_w: 1000 + ((i * 7 + updates) % 10_000), last_seen: new Date().toISOString() });
    }
  }, 10);
});

afterAll(async () => {
  if (driving) clearInterval(driving);
  await web?.close();
  await hub?.stop();
  await mqtt?.close();
});

interface Window {
  lagP50: number;
  lagP99: number;
  cpuPct: number;
  publishedPerS: number;
  updatesPerS: number;
}

/** Event-loop lag (a 20 ms timer's lateness), CPU and MQTT publish rate over `seconds`. */
async function measure(seconds: number, during?: Promise<unknown>): Promise<Window> {
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 20));
    last = now;
  }, 20);
  const cpu0 = process.cpuUsage();
  const pub0 = mqtt.published;
  const upd0 = updates;
  const t0 = performance.now();
  await Promise.all([new Promise((r) => setTimeout(r, seconds * 1000)), during]);
  clearInterval(timer);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lags.sort((a, b) => a - b);
  const at = (q: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0);
  return { lagP50: at(0.5), lagP99: at(0.99), cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (s * 1000)) * 100), publishedPerS: Math.round((mqtt.published - pub0) / s), updatesPerS: Math.round((updates - upd0) / s) };
}

function clientsProcess(count: number, seconds: number): Promise<{ elapsed: number; refused: number; clients: number; perClient: { events: number; bytes: number; ended: boolean }[] }> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(resolve(ROOT, "node_modules/.bin/bun"), [resolve(ROOT, "test/support/sse-clients.ts"), `${web.url}events`, String(count), String(seconds)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.once("exit", (code) => (code === 0 ? resolvePromise(JSON.parse(out)) : reject(new Error(`sse-clients exited ${code}: ${out}`))));
  });
}

test(`${CHARGERS} chargers changing every second: event streams stay coalesced and bounded, the bridge stays responsive`, async () => {
  const idle = await measure(SECONDS);
  console.log(`no page clients:      loop lag p50 ${idle.lagP50} ms p99 ${idle.lagP99} ms, CPU ${idle.cpuPct} %, ${idle.updatesPerS} hub updates/s, ${idle.publishedPerS} MQTT publishes/s`);

  // The page first, alone with the load: how long until it shows every charger.
  const browser = await Chromium.launch();
  let pageNote = "chromium not found: page not measured";
  const page = browser ? await browser.open(web.url) : undefined;
  let renderMs = 0;
  if (page) {
    renderMs = await page.waitFor(`document.querySelectorAll('.card').length === ${CHARGERS}`, "all cards rendered", 30_000);
    await page.evaluate("window.__long = 0; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long += e.duration; }).observe({ entryTypes: ['longtask'] }); 1");
  }
  // Then more streams than allowed, in another process: one is refused, the rest each get a bounded stream.
  const clients = clientsProcess(CLIENTS + 1, SECONDS + 2);
  const withPage = (async () => {
    if (!page) return;
    // While updates stream in: how fast the page answers, and its main thread's long tasks (> 50 ms).
    const rtts: number[] = [];
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const r0 = performance.now();
      await page.evaluate("document.querySelectorAll('.card').length");
      rtts.push(performance.now() - r0);
      await new Promise((r) => setTimeout(r, 100));
    }
    rtts.sort((a, b) => a - b);
    const longMs = Number(await page.evaluate("Math.round(window.__long)"));
    const shown = String(await page.evaluate(`document.querySelector('.card[data-id="LOAD0500"] .power').textContent`));
    pageNote = `page: ${CHARGERS} cards shown ${renderMs} ms after load; then long tasks ${longMs} ms in ${SECONDS} s, script round trip p50 ${Math.round(rtts[Math.floor(rtts.length / 2)] ?? 0)} ms, max ${Math.round(rtts.at(-1) ?? 0)} ms; a card shows "${shown}"`;
    expect(renderMs).toBeLessThan(15_000);
    expect(longMs).toBeLessThan(SECONDS * 1000 * 0.5);
    expect(shown).toMatch(/kW$/);
  })();
  // Measure once the streams are open and their snapshots sent.
  await new Promise((r) => setTimeout(r, 1500));
  const busy = await measure(SECONDS, withPage);
  const result = await clients;
  await browser?.close();
  const perS = result.perClient.map((c) => c.events / result.elapsed);
  const kbPerS = result.perClient.map((c) => c.bytes / 1024 / result.elapsed);
  console.log(`${result.clients} streams + page: loop lag p50 ${busy.lagP50} ms p99 ${busy.lagP99} ms, CPU ${busy.cpuPct} %, ${busy.updatesPerS} hub updates/s, ${busy.publishedPerS} MQTT publishes/s`);
  console.log(`per stream: ${Math.min(...perS).toFixed(1)}–${Math.max(...perS).toFixed(1)} events/s, ${Math.round(Math.min(...kbPerS))}–${Math.round(Math.max(...kbPerS))} KiB/s; refused beyond the bound: ${result.refused}`);
  console.log(pageNote);

  // The bound: max_clients = CLIENTS + 1 and the page takes one (when there is a browser).
  expect(result.clients + (page ? 1 : 0)).toBe(CLIENTS + 1);
  expect(result.refused).toBe(page ? 1 : 0);
  // Coalesced: at most one event per 500 ms, spaced further to stay near 256 KiB/s, whatever 1000 updates/s do.
  for (const e of perS) expect(e).toBeLessThanOrEqual(2.5);
  for (const e of perS) expect(e).toBeGreaterThan(0.2);
  for (const k of kbPerS) expect(k).toBeLessThan(256 * 1.5);
  // The bridge keeps up: MQTT still gets every update, and the loop is not blocked for long.
  expect(busy.publishedPerS).toBeGreaterThan(busy.updatesPerS * 0.8);
  expect(busy.lagP99).toBeLessThan(500);
});
