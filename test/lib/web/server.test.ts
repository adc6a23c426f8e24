// The status page over real HTTP, served by the runtime's own server through the socket seam, in a
// whole bridge with simulated Dehne chargers on real sockets and a real Mosquitto.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { NormalizedState } from "../../../lib/normalized.ts";
import type { PageCharger } from "../../../lib/web/view.ts";
import { SimulatedDehne, simSerial } from "../../../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { dataOf, SseReader } from "../../support/sse.ts";
import { until } from "../../support/until.ts";
import { selfSignedCert, startWebBridge, type WebBridge } from "./bridge-rig.ts";
import { basic } from "./support.ts";

setDefaultTimeout(30_000);
const shared = brokerForFile({ probe: ["#"] });
const AUTH = basic("admin", "pa55:word");

describe("status page over HTTP", () => {
  let rig: WebBridge;
  const sims: SimulatedDehne[] = [];
  const get = (path: string, headers: Record<string, string> = AUTH) => fetch(`${rig.origin}${path}`, { headers });

  beforeAll(async () => {
    rig = await startWebBridge(shared.url, { web: 'username = "admin"\npassword = "pa55:word"\ncontrol = true\nhealth_grace_s = 0' });
    for (let i = 1; i <= 2; i++) {
      const s = new SimulatedDehne({ target: { host: "127.0.0.1", port: rig.dehnePort }, serial: simSerial(40 + i), firmware: 4, reconnectMs: 200 });
      sims.push(s);
      await s.start();
    }
    for (const s of sims) await shared.probe.wait(`${rig.base}/${s.serial}/availability`, (m) => m.text === "online");
  });

  afterAll(async () => {
    for (const s of sims) await s.stop();
    await rig?.bridge.stop();
  });

  test("every endpoint answers; credentials are required except for /healthz", async () => {
    for (const path of ["/", "/events", "/metrics", "/api/chargers", "/api/bridge", `/api/chargers/${sims[0]?.serial}`]) {
      const refused = await get(path, {});
      expect({ path, status: refused.status }).toEqual({ path, status: 401 });
      expect(refused.headers.get("www-authenticate")).toStartWith("Basic ");
      await refused.body?.cancel();
      expect((await get(path, basic("admin", "pa55:wort"))).status).toBe(401);
    }
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<main id="chargers">');
    const metrics = await get("/metrics");
    expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await metrics.text()).toContain(`evse2mqtt_charger_up{id="${sims[0]?.serial}",protocol="dehne"} 1`);
    const health = await get("/healthz", {});
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, status: "ok", mqtt: { connected: true } });
    expect(rig.logLines.join("\n")).not.toContain("pa55");
  });

  test("/api/chargers/<id> is the payload MQTT carries for the charger", async () => {
    const id = sims[0]?.serial ?? "";
    await shared.probe.wait(`${rig.base}/${id}`);
    // The state moves on (polling); compare the API with the MQTT payload published last, at the same moment.
    let api: NormalizedState | undefined;
    let mqtt: NormalizedState | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      api = await (await get(`/api/chargers/${id}`)).json();
      const last = shared.probe.messages.filter((m) => m.topic === `${rig.base}/${id}`).at(-1);
      mqtt = last ? JSON.parse(last.text) : undefined;
      if (JSON.stringify(api) === JSON.stringify(mqtt)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(api).toEqual(mqtt);
    const all = await (await get("/api/chargers")).json();
    expect(Object.keys(all).sort()).toEqual(sims.map((s) => s.serial).sort());
  });

  test("a status change reaches an open event stream within 2 s", async () => {
    const r = await get("/events");
    expect(r.status).toBe(200);
    if (!r.body) throw new Error("no body");
    const sse = new SseReader(r.body);
    const sim = sims[1];
    if (!sim) throw new Error("no simulator");
    const snap = dataOf<{ chargers: PageCharger[] }>(await sse.wait((e) => e.event === "snapshot", "snapshot"));
    expect(snap.chargers.map((c) => c.id).sort()).toEqual(sims.map((s) => s.serial).sort());
    expect(snap.chargers.find((c) => c.id === sim.serial)?.state.status).toBe("available");
    const mark = sse.mark();
    const t0 = Date.now();
    await sim.plugIn();
    // A car plugged into a charger not enabled: pilot state B, status no longer "available".
    const ev = await sse.wait((e) => e.event === "update" && dataOf<{ chargers: PageCharger[] }>(e).chargers.some((c) => c.id === sim.serial && c.state.iec_state === "B"), "plug-in arrives", 2000, mark);
    const seen = dataOf<{ chargers: PageCharger[] }>(ev).chargers.find((c) => c.id === sim.serial);
    expect(seen?.state.status).not.toBe("available");
    expect(seen?.state.status).toBe(rig.bridge.hub.state(sim.serial)?.status);
    console.log(`status change (car plugged in) → event stream: ${Date.now() - t0} ms`);
    await sse.close();
    await until(() => rig.bridge.web?.app.feed.size === 0, "the server forgets the closed stream");
  });

  test("a command from the page reaches the charger through its guard", async () => {
    const id = sims[0]?.serial ?? "";
    const set = (body: string) => fetch(`${rig.origin}/api/chargers/${id}/set`, { method: "POST", headers: { ...AUTH, "Content-Type": "application/json", Origin: rig.origin }, body });
    const ok = await set('{"current_limit_a":50}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "ok", data: { current_limit_a: 32, clamped_from: 50 } });
    const refused = await set('{"current_limit_a":1}');
    expect(refused.status).toBe(422);
    expect((await refused.json()).error).toMatch(/below the minimum 6 A/);
    expect((await fetch(`${rig.origin}/api/chargers/${id}/set`, { method: "POST", headers: { ...AUTH, "Content-Type": "application/json", Origin: "http://attacker.example" }, body: '{"enabled":true}' })).status).toBe(403);
  });

  test("/healthz turns 503 while the broker is away and 200 once it is back", async () => {
    await shared.broker.stop();
    await until(() => rig.bridge.mqtt.connected === false, "bridge notices the outage");
    const down = await get("/healthz", {});
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ healthy: false, status: "down", mqtt: { connected: false } });
    await shared.broker.restart();
    await until(() => rig.bridge.mqtt.connected, "bridge reconnects", 10_000);
    const up = await get("/healthz", {});
    expect(up.status).toBe(200);
    const m = await (await get("/metrics")).text();
    expect(m).toContain("evse2mqtt_mqtt_connected 1\n");
    expect(m).toMatch(/^evse2mqtt_mqtt_reconnects_total [1-9]\d*$/m);
  });
});

test("TLS: with tls_cert and tls_key the page is served over https only", async () => {
  const { certFile, keyFile, cert } = selfSignedCert();
  const rig = await startWebBridge(shared.url, { web: `tls_cert = "${certFile}"\ntls_key = "${keyFile}"` });
  try {
    expect(rig.origin).toStartWith("https://127.0.0.1:");
    const r = await fetch(`${rig.origin}/api/bridge`, { tls: { ca: cert } });
    expect(r.status).toBe(200);
    expect((await r.json()).version).toBeString();
    // Plain HTTP to the TLS port gets no page.
    const plain = await fetch(rig.origin.replace("https:", "http:") + "/api/bridge").then((x) => x.status, () => "refused");
    expect(plain).not.toBe(200);
  } finally {
    await rig.bridge.stop();
  }
});

test("a port already taken stops the bridge with a message naming the address", async () => {
  const first = await startWebBridge(shared.url);
  const port = first.bridge.web?.port ?? 0;
  try {
    const err = await startWebBridge(shared.url, { listen: `127.0.0.1:${port}` }).then(
      async (second) => {
        await second.bridge.stop();
        return "started";
      },
      (e: unknown) => String(e),
    );
    expect(err).toContain(`127.0.0.1:${port}`);
  } finally {
    await first.bridge.stop();
  }
});
