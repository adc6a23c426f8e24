// What Home Assistant gets from EVSEMaster chargers: iec_state, capabilities in the hub's meta, and
// neighbours' chargers that disappear again. Real UDP on loopback, real Mosquitto.

import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hub } from "../../../lib/hub.ts";
import { silentLogger } from "../../../lib/log.ts";
import { MqttLink } from "../../../lib/mqtt.ts";
import type { ChargerMeta, ChargerRegistry } from "../../../lib/protocol.ts";
import { evsemasterSchema } from "../../../protocols/evsemaster/config.ts";
import { startEvsemaster } from "../../../protocols/evsemaster/listener.ts";
import { DEFAULT_FLEET, startFleet } from "../../../protocols/evsemaster/sim/fleet.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { until } from "../../support/until.ts";
import { FakeHost, idleStatus, INFO } from "./fake.ts";
import { E2E_TIMEOUT_MS, FAST, freeUdpPort, rig, TZ } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const S1 = "8800000000000001";
const S2 = "8800000000000002";

test("iec_state follows the charger's plug, output and errors; null without a session", async () => {
  const r = await rig(mosq.url, { default_password: "123456", discover_login: true }, { model: "bs20" });
  try {
    const sim = r.sims[0]!;
    expect((await r.state(S1, (x) => x.status === "connected")).iec_state).toBe("B");
    expect(await r.set(S1, { enabled: true })).toMatchObject({ status: "ok" });
    await r.state(S1, (x) => x.status === "charging" && x.iec_state === "C");
    sim.state.errors = 1 << 12;
    await r.state(S1, (x) => x.status === "error" && x.iec_state === "F");
    sim.state.errors = 1 << 5;
    await r.state(S1, (x) => x.iec_state === "E");
    sim.state.errors = 0;
    sim.state.plugged = false;
    await r.state(S1, (x) => x.status === "available" && x.iec_state === "A");
  } finally {
    await r.close();
  }
  const none = await rig(mosq.url, {}, { model: "telestar" });
  try {
    await none.detail(S1, (x) => x.meta_state === "NOT_LOGGED_IN");
    expect((await none.state(S1, (x) => x.status === "unknown")).iec_state).toBeNull();
  } finally {
    await none.close();
  }
}, E2E_TIMEOUT_MS);

test("capabilities: nothing without a PIN; with one what the model reports, the current range and the argumentless actions", async () => {
  const base = `caps${Date.now().toString(36)}`;
  const mqtt = new MqttLink(
    { url: mosq.url, client_id: `bridge-${base}`, reject_unauthorized: true, base_topic: base, queue_limit: 1000, keepalive_s: 10, reconnect_min_s: 0.2, reconnect_max_s: 1 },
    silentLogger,
    () => ({ info: "{}" }),
  );
  await mqtt.start(5000);
  const hub = new Hub(mqtt, { base_topic: base, republish_s: 0, discovery: false, discovery_prefix: "homeassistant" }, silentLogger);
  hub.start();
  // The hub as the protocol sees it, noting the meta of every attach.
  const metas = new Map<string, ChargerMeta>();
  const recording: ChargerRegistry = {
    attach: (id, meta, driver) => {
      metas.set(id, meta);
      return hub.attach(id, meta, driver);
    },
    state: (id) => hub.state(id),
    remove: (id) => hub.remove(id),
  };
  const port = await freeUdpPort();
  const unknown = "7700000000000007";
  const cfg = evsemasterSchema.parse({ ...FAST, enabled: true, port, charger: [{ serial: S1, password: "123456", max_current_a: 20 }, { serial: S2, password: "123456" }] });
  const listener = await startEvsemaster({ log: silentLogger, mqtt, hub: recording, baseTopic: base, stateDir: mkdtempSync(join(tmpdir(), "em-caps-")) }, cfg);
  const fleet = await startFleet({ ...DEFAULT_FLEET, count: 2, model: "mixed", target: { address: "127.0.0.1", port }, bind: "127.0.0.1", beaconMs: 150, headingMs: 300, statusMs: 200, appTimeoutMs: 1500, timeZone: TZ }, silentLogger);
  const host = await FakeHost.open("127.0.0.1", port);
  try {
    await host.send(unknown, { type: "beacon", info: INFO });
    await until(() => metas.has(unknown) && metas.get(S1)?.sw_version !== undefined && metas.get(S2)?.sw_version !== undefined, "all three attached, the simulators with their version");
    expect(metas.get(unknown)?.capabilities).toEqual({});
    const withPin = { power: true, energy: true, temperature: true, enable: true, plug: true, buttons: ["fetch_config"] };
    // S1: Telestar, single phase, 32 A unit capped at 20 A by the config. S2: BS20, three phases, 16 A.
    expect(metas.get(S1)?.capabilities).toEqual({ ...withPin, phases: false, currentLimit: { min: 6, max: 20, step: 1 } });
    expect(metas.get(S2)?.capabilities).toEqual({ ...withPin, phases: true, currentLimit: { min: 6, max: 16, step: 1 } });
  } finally {
    await host.close();
    await fleet.running.stop();
    await listener.stop();
    await hub.stop();
    await mqtt.close();
  }
}, E2E_TIMEOUT_MS);

test("a discovered charger offline for forget_discovered_after_s is removed with its retained topics; configured and adopted ones stay", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "em-forget-"));
  const configured = "7700000000000001";
  const adopted = "7700000000000002";
  const neighbour = "7700000000000003";
  const later = "7700000000000004";
  // `adopted` was given a PIN with `login` in an earlier run.
  writeFileSync(join(stateDir, "evsemaster-passwords.json"), JSON.stringify({ [adopted]: "654321" }));
  const r = await rig(mosq.url, { forget_discovered_after_s: 1, max_discovered: 2, charger: [{ serial: configured }] }, { count: 0 }, { stateDir });
  const discovery = await MqttProbe.connect(mosq.url, ["homeassistant/#"]);
  const host = await FakeHost.open("127.0.0.1", r.port);
  try {
    for (const serial of [configured, adopted, neighbour]) {
      await host.send(serial, { type: "beacon", info: INFO });
      await host.send(serial, { type: "status", polled: false, status: idleStatus() });
    }
    for (const serial of [configured, adopted, neighbour]) await r.detail(serial, (x) => x.meta_state === "NOT_LOGGED_IN");
    const since = r.probe.mark();
    // Nothing more is sent: offline after 1 s, then removed 1 s later.
    await r.probe.wait(`${r.base}/${neighbour}`, (m) => m.text === "", 10_000, since);
    for (const sub of ["evsemaster", "availability"]) await r.probe.wait(`${r.base}/${neighbour}/${sub}`, (m) => m.text === "", 5000, since);
    // `<prefix>/sensor/<…>_<id>/status/config`: the status entity every charger has, cleared.
    await discovery.wait(new RegExp(`^homeassistant/sensor/[^/]*_${neighbour}/status/config$`), (m) => m.text === "", 5000);
    expect(r.bridge.hub.ids().sort()).toEqual([configured, adopted].sort());
    // Its place under max_discovered is free again.
    await host.send(later, { type: "beacon", info: INFO });
    await until(() => r.bridge.hub.ids().includes(later), "a new neighbour is discovered in the freed place");
    // A fresh subscriber finds nothing retained for the removed one (retained messages come before
    // anything published after the subscription: the sentinel).
    const fresh = await MqttProbe.connect(mosq.url, [`${r.base}/#`]);
    await fresh.publish(`${r.base}/sentinel`, "x");
    await fresh.wait(`${r.base}/sentinel`);
    await fresh.close();
    expect(fresh.messages.filter((m) => m.topic.includes(neighbour))).toEqual([]);
    expect(fresh.messages.some((m) => m.topic === `${r.base}/${configured}/availability`)).toBe(true);
  } finally {
    await discovery.close();
    await host.close();
    await r.close();
  }
}, E2E_TIMEOUT_MS);
