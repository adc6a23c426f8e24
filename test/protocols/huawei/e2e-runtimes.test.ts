// The Huawei link as users run it, under each runtime: the bridge as a process (Bun, Deno, the
// compiled binary) with a [[huawei]] table, `evse2mqtt simulate huawei` as another, real Mosquitto.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { BridgeProcess, type CliProcess, LAUNCHERS, simulatorProcess } from "../../support/bridge-process.ts";
import { writeConfigFile } from "../../support/config-file.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { freePort } from "../../support/ports.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { until } from "../../support/until.ts";

setDefaultTimeout(60_000);
const file = brokerForFile();
const procs: CliProcess[] = [];
afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
});

for (const launcher of [LAUNCHERS.bun, LAUNCHERS.deno, LAUNCHERS.binary]) {
  describe(`Huawei under ${launcher.name}`, () => {
    test("dials the simulated PSU, publishes both layouts, answers a request, goes offline on SIGTERM", async () => {
      const port = await freePort();
      const base = `hwrt${Math.random().toString(16).slice(2, 8)}`;
      const sim = simulatorProcess(["huawei", "--listen", `127.0.0.1:${port}`, "--cycle-s", "0.2"]);
      procs.push(sim);
      await until(() => sim.log.includes("simulated Huawei PSU listening"), "the simulator listens", 15_000);
      const probe = await MqttProbe.connect(file.url, [`${base}/#`, `${base}_t/#`]);
      const cfg = writeConfigFile(
        "huawei-rt-",
        `[mqtt]\nurl = "${file.url}"\nbase_topic = "${base}"\nclient_id = "${base}"\n[homeassistant]\ndiscovery = false\n[dehne]\nenabled = false\n` +
          `[[huawei]]\nname = "rt"\nhost = "127.0.0.1"\nport = ${port}\ntelemetry_prefix = "${base}_t"\n` +
          `[[huawei.connectors]]\nglobal_connector_number = 2\nmax_export_current_a = 60\nmax_export_power_w = 25000\n`,
      );
      const bridge = new BridgeProcess(launcher, cfg);
      procs.push(bridge);
      try {
        await probe.wait(`${base}/rt_2/availability`, (m) => m.text === "online", 30_000);
        const con = await probe.waitJson(`${base}_t/connector/2`, (v) => v.psu_port_available === "AVAILABLE", 20_000);
        expect(con.max_rated_psu_voltage).toBe(1000);
        const since = probe.mark();
        await probe.publish(`${base}/rt_2/request`, { transaction: "a1", action: "set_alarm", args: { alarm: "tilt", active: true } });
        const r = await probe.waitJson(`${base}/rt_2/response`, (v) => v.transaction === "a1", 10_000, since);
        expect(r.status).toBe("ok");
        await probe.waitJson(`${base}_t/dispenser/published_alarms`, (v) => v.tilt_alarm === true, 10_000, since);
        expect(await bridge.stop()).toBe(0);
        await probe.wait(`${base}/rt_2/availability`, (m) => m.text === "offline", 5000, since);
      } finally {
        await probe.close();
        await bridge.stop();
        await sim.stop();
      }
    });
  });
}
