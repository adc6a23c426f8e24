// `evse2mqtt simulate ocpp` and `--demo` through the plugin interface, against a running bridge.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { silentLogger } from "../../../lib/log.ts";
import { ocppPlugin } from "../../../protocols/ocpp/index.ts";
import { parseSimulateArgs } from "../../../protocols/ocpp/sim/args.ts";
import { startBroker, type TestBroker } from "../../support/broker.ts";
import { freePort } from "../../support/ports.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { type OcppBridge, startOcpp } from "./helpers.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

let broker: TestBroker;
let bridge: OcppBridge;
let probe: MqttProbe;
let port: number;

beforeAll(async () => {
  broker = await startBroker();
  port = await freePort();
  bridge = await startOcpp(broker.url, { listen: `127.0.0.1:${port}`, path_prefix: "ocpp", charging_enabled_default: true });
  probe = await MqttProbe.connect(broker.url, ["ocpp/#", `${bridge.base}/#`]);
});

afterAll(async () => {
  await bridge?.stop();
  await probe?.close();
  await broker?.dispose();
});

test("simulate args: defaults, numbers checked, --connect required", () => {
  expect(parseSimulateArgs(["--connect", "ws://h:1/ocpp", "--count", "3"])).toMatchObject({ connect: "ws://h:1/ocpp", count: 3, prefix: "SIM", connectors: 1, intervalS: 5 });
  expect(() => parseSimulateArgs(["--count", "2"])).toThrow("--connect");
  expect(() => parseSimulateArgs(["--connect", "ws://h:1", "--count", "zero"])).toThrow("--count");
  expect(() => parseSimulateArgs(["--connect", "ws://h:1", "--bogus"])).toThrow();
});

test("simulate: a fleet boots, charges with per-phase meter values and stops again", async () => {
  const since = probe.mark();
  const fleet = await ocppPlugin.simulate(["--connect", `ws://127.0.0.1:${port}/ocpp`, "--count", "2", "--prefix", "FLEET", "--plug-after", "0.1", "--charge-for", "0.6", "--interval", "0.2"], silentLogger);
  try {
    for (const id of ["FLEET1", "FLEET2"]) {
      await probe.wait(`ocpp/${id}/state/status`, (m) => m.text === "Charging", 5000, since);
      await probe.wait(`ocpp/${id}/state/current_import_l3`, (m) => m.text === "16.0", 5000, since);
      await probe.wait(`ocpp/${id}/state/meter_stop_reason`, (m) => m.text === "EVDisconnected", 5000, since);
    }
  } finally {
    await fleet.stop();
  }
});

test("demo: one simulated charge point aimed at the configured listen port", async () => {
  const since = probe.mark();
  const demo = await ocppPlugin.demo(ocppPlugin.configSchema.parse({ listen: `0.0.0.0:${port}`, path_prefix: "/ocpp/" }), silentLogger);
  try {
    await probe.waitJson(`${bridge.base}/DEMO1`, (s: { status?: string }) => s.status === "available" || s.status === "connected", 5000, since);
    await probe.wait("ocpp/DEMO1/state/charge_point_vendor", (m) => m.text === "evse2mqtt", 5000, since);
  } finally {
    await demo.stop();
  }
});
