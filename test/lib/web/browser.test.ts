// The status page in a real browser (headless Chromium over the DevTools protocol), behind a whole
// bridge with simulated Dehne chargers (in this process) and OCPP charge points (a simulator
// process): every charger shows, a status change arrives live within 2 s, the controls work, the
// page fits a phone, and it reconnects by itself after the bridge restarts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PageCharger } from "../../../lib/web/view.ts";
import { SimulatedDehne, simSerial } from "../../../protocols/dehne/sim/charger.ts";
import { type CliProcess, simulatorProcess } from "../../support/bridge-process.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { Chromium, type Page } from "../../support/chromium.ts";
import { freePort } from "../../support/mosquitto.ts";
import { dataOf, SseReader } from "../../support/sse.ts";
import { until } from "../../support/until.ts";
import { startWebBridge, type WebBridge } from "./bridge-rig.ts";
import { basic } from "./support.ts";

setDefaultTimeout(60_000);
const shared = brokerForFile({ probe: ["#"] });
const AUTH = basic("admin", "secret");
const WEB = 'username = "admin"\npassword = "secret"\ncontrol = true';
const OCPP_IDS = ["SIM1", "SIM2"];

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => png[i] === b)) throw new Error("not a PNG");
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

describe("status page in a browser", () => {
  let rig: WebBridge;
  let ocppPort = 0;
  const dehne: SimulatedDehne[] = [];
  let ocppSim: CliProcess | undefined;
  let browser: Chromium | undefined;
  let ids: string[] = [];
  const extra = () => `[ocpp]\nlisten = "127.0.0.1:${ocppPort}"\ncompat = false`;

  beforeAll(async () => {
    ocppPort = await freePort();
    rig = await startWebBridge(shared.url, { web: WEB, extra: extra() });
    for (let i = 1; i <= 3; i++) {
      const s = new SimulatedDehne({ target: { host: "127.0.0.1", port: rig.dehnePort }, serial: simSerial(60 + i), firmware: 4, reconnectMs: 200 });
      dehne.push(s);
      await s.start();
    }
    ocppSim = simulatorProcess(["ocpp", "--connect", `ws://127.0.0.1:${ocppPort}/ocpp`, "--count", "2"]);
    ids = [...dehne.map((s) => s.serial), ...OCPP_IDS].sort();
    for (const id of ids) await shared.probe.wait(`${rig.base}/${id}/availability`, (m) => m.text === "online", 20_000);
    browser = await Chromium.launch();
    if (!browser) console.log("chromium not found (/usr/bin/chromium): the browser checks run as event-stream checks instead");
  });

  afterAll(async () => {
    await browser?.close();
    await ocppSim?.stop();
    for (const s of dehne) await s.stop();
    await rig?.bridge.stop();
  });

  const cardIds = (p: Page) => p.evaluate("JSON.stringify(Array.from(document.querySelectorAll('.card')).map((c) => c.dataset.id))");
  const statusOf = (id: string) => `document.querySelector('.card[data-id="${id}"]')?.dataset.status`;

  test("every charger has a card; a status change shows within 2 s; a screenshot is a real picture", async () => {
    const sim = dehne[0];
    if (!sim) throw new Error("no simulator");
    if (!browser) {
      // The same through the stream the page reads.
      const r = await fetch(`${rig.origin}/events`, { headers: AUTH });
      if (!r.body) throw new Error("no body");
      const sse = new SseReader(r.body);
      const snap = dataOf<{ chargers: PageCharger[] }>(await sse.wait((e) => e.event === "snapshot", "snapshot"));
      expect(snap.chargers.map((c) => c.id).sort()).toEqual(ids);
      const mark = sse.mark();
      await sim.plugIn();
      await sse.wait((e) => e.event === "update" && dataOf<{ chargers: PageCharger[] }>(e).chargers.some((c) => c.id === sim.serial && c.state.status !== "available"), "status change", 2000, mark);
      await sse.close();
      return;
    }
    const page = await browser.open(`${rig.origin}/`, { headers: AUTH });
    await page.waitFor(`document.querySelectorAll('.card').length === ${ids.length}`, "a card per charger");
    expect(JSON.parse(String(await cardIds(page)))).toEqual(ids);
    await page.waitFor("document.getElementById('live').textContent === 'live'", "live indicator");
    expect(await page.evaluate("document.getElementById('mqtt').textContent")).toBe("connected");
    for (const id of ids) expect(await page.evaluate(statusOf(id))).toBe(rig.bridge.hub.state(id)?.status);
    expect(await page.evaluate(`document.querySelector('.card[data-id="SIM1"] .sub').textContent`)).toStartWith("ocpp");
    expect(await page.evaluate(statusOf(sim.serial))).toBe("available");

    const t0 = Date.now();
    await sim.plugIn();
    await page.waitFor(`${statusOf(sim.serial)} !== 'available'`, "status change on the page", 2000);
    const ms = Date.now() - t0;
    console.log(`car plugged in → card status changed in the browser: ${ms} ms`);
    expect(ms).toBeLessThan(2000);
    expect(await page.evaluate(statusOf(sim.serial))).toBe(rig.bridge.hub.state(sim.serial)?.status);
    expect(await page.evaluate(`document.querySelector('.card[data-id="${sim.serial}"] .status').textContent`)).toBe(rig.bridge.hub.state(sim.serial)?.status);

    const png = await page.screenshot();
    const file = join(tmpdir(), `evse2mqtt-status-page-${process.pid}.png`);
    writeFileSync(file, png);
    console.log(`screenshot: ${file} (${png.byteLength} bytes)`);
    expect(pngSize(png)).toEqual({ width: 1280, height: 900 });
    expect(png.byteLength).toBeGreaterThan(20_000);
  });

  test("the controls send /set through the guard and show the reply", async () => {
    if (!browser) return console.log("chromium not found: control replies are covered by server.test.ts over HTTP");
    const id = dehne[1]?.serial ?? "";
    const page = await browser.open(`${rig.origin}/`, { headers: AUTH });
    const card = `document.querySelector('.card[data-id="${id}"]')`;
    await page.waitFor(`${card} && !${card}.querySelector('.ctl').hidden`, "controls shown");
    await page.evaluate(`(() => { const c = ${card}; c.querySelector('.amps').value = '40'; c.querySelector('.set').click(); })()`);
    await page.waitFor(`${card}.querySelector('.reply').textContent.startsWith('ok')`, "reply shown", 3000);
    const reply = String(await page.evaluate(`${card}.querySelector('.reply').textContent`));
    expect(JSON.parse(reply.slice("ok: ".length))).toMatchObject({ current_limit_a: 32, clamped_from: 40 });
    await page.evaluate(`(() => { const c = ${card}; c.querySelector('.amps').value = '2'; c.querySelector('.set').click(); })()`);
    await page.waitFor(`${card}.querySelector('.reply').textContent.startsWith('refused')`, "refusal shown", 3000);
    expect(await page.evaluate(`${card}.querySelector('.reply').textContent`)).toMatch(/^refused: current_limit_a 2 A is below the minimum 6 A/);
  });

  test("on a phone-sized screen the page fits its width", async () => {
    if (!browser) return console.log("chromium not found: layout not checked");
    const page = await browser.open(`${rig.origin}/`, { headers: AUTH, width: 390, height: 844, mobile: true });
    await page.waitFor(`document.querySelectorAll('.card').length === ${ids.length}`, "cards");
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    const png = await page.screenshot();
    writeFileSync(join(tmpdir(), `evse2mqtt-status-page-phone-${process.pid}.png`), png);
    expect(pngSize(png).width).toBe(390);
  });

  test("after the bridge restarts, the page reconnects by itself and shows the new state", async () => {
    if (!browser) return console.log("chromium not found: reconnect not checked");
    const page = await browser.open(`${rig.origin}/`, { headers: AUTH });
    await page.waitFor("document.getElementById('live').textContent === 'live'", "live");
    const listen = rig.origin.replace(/^https?:\/\//, "");
    await rig.bridge.stop();
    await page.waitFor("document.getElementById('live').textContent !== 'live'", "page notices the loss", 5000);
    rig = await startWebBridge(shared.url, { web: WEB, extra: extra(), listen, dehnePort: rig.dehnePort, base: rig.base });
    await until(() => dehne.every((s) => rig.bridge.hub.view(s.serial)?.online === true), "simulators reconnect", 15_000);
    await page.waitFor("document.getElementById('live').textContent === 'live'", "page reconnected", 15_000);
    await page.waitFor(`${statusOf(dehne[2]?.serial ?? "")} === 'available'`, "state of the new bridge shown", 5000);
  });
});
