// Every protocol at once in one bridge process, fed by `evse2mqtt simulate …` processes: proves
// the whole program (not just Dehne) runs unchanged under each way of running it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simSerial } from "../../protocols/dehne/sim/charger.ts";
import { BridgeProcess, type CliProcess, type Launcher, simulatorProcess } from "../support/bridge-process.ts";
import { writeConfigFile } from "../support/config-file.ts";
import { startBroker, type TestBroker } from "../support/broker.ts";
import { freePort } from "../support/ports.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";

type Json = Record<string, unknown>;
const CHARGERS = {
  dehne: [simSerial(1), simSerial(2)],
  ocpp: ["SIM1", "SIM2"],
  evsemaster: ["8800000000000001", "8800000000000002"],
  openevse: ["oe1"],
} as const;

export function allProtocolsScenario(launcher: Launcher): void {
  describe(`all protocols in one bridge (${launcher.name})`, () => {
    setDefaultTimeout(30_000);
    let broker: TestBroker;
    let probe: MqttProbe;
    let bridge: BridgeProcess;
    const sims: CliProcess[] = [];
    const base = `all${Math.random().toString(16).slice(2, 8)}`;
    const ports = { dehne: 0, ocpp: 0, evsemaster: 0 };
    const ptyPath = join(tmpdir(), `evse2mqtt-all-${base}-tty`);

    beforeAll(async () => {
      broker = await startBroker();
      ports.dehne = await freePort();
      ports.ocpp = await freePort();
      ports.evsemaster = await freePort();
      const cfg = writeConfigFile(
        "all-e2e-",
        `[mqtt]
url = "${broker.url}"
base_topic = "${base}"
client_id = "${base}"
[homeassistant]
discovery = false
[dehne]
listen = "127.0.0.1:${ports.dehne}"
topic_publish = "from_${base}"
topic_subscribe = "to_${base}"
[ocpp]
listen = "127.0.0.1:${ports.ocpp}"
compat_base = "${base}_ocpp"
[evsemaster]
bind = "127.0.0.1"
port = ${ports.evsemaster}
default_password = "123456"
discover_login = true
time_zone = "Europe/Berlin"
[[openevse]]
name = "oe1"
port = "${ptyPath}"
base_topic = "${base}_oe"
announce_topic = "${base}_oe/announce"
`,
      );
      probe = await MqttProbe.connect(broker.url, [`${base}/#`]);
      bridge = new BridgeProcess(launcher, cfg);
      await probe.wait(`${base}/bridge/state`, (m) => m.text === "online", 20_000);
    });

    afterAll(async () => {
      await Promise.all(sims.map((s) => s.stop()));
      await bridge?.stop();
      await probe?.close();
      await broker?.dispose();
    });

    test("bridge info lists every protocol", async () => {
      const info = await probe.waitJson<Json>(`${base}/bridge/info`);
      expect([...(info.protocols as string[])].sort()).toEqual(["dehne", "evsemaster", "ocpp", "openevse"]);
    });

    test("simulators of each protocol appear in the normalized layout", async () => {
      sims.push(simulatorProcess(["dehne", "--connect", `127.0.0.1:${ports.dehne}`, "--count", "2", "--no-car"]));
      sims.push(simulatorProcess(["ocpp", "--connect", `ws://127.0.0.1:${ports.ocpp}/ocpp`, "--count", "2"]));
      sims.push(simulatorProcess(["evsemaster", "--count", "2", "--model", "mixed", "--target", `127.0.0.1:${ports.evsemaster}`, "--bind", "127.0.0.1", "--password", "123456", "--beacon-s", "1"]));
      // A serial device: the simulator's pseudo-terminal (socat, else python3), opened by the bridge.
      sims.push(simulatorProcess(["openevse", "--pty", "--link", ptyPath, "--no-car"]));
      for (const [protocol, ids] of Object.entries(CHARGERS)) {
        for (const id of ids) {
          const s = await probe.waitJson<Json>(`${base}/${id}`, (x) => x.protocol === protocol && x.status !== "unknown" && x.status !== "offline", 20_000);
          expect(s.updated_at).toBeString();
          await probe.wait(`${base}/${id}/availability`, (m) => m.text === "online");
        }
      }
    });

    test("a request reaches a charger of each protocol and is answered", async () => {
      const cases: [string, Json, (d: Json) => void][] = [
        [CHARGERS.dehne[0], { action: "collect_data" }, (d) => expect(d.pwm_percent).toBe(100)],
        [CHARGERS.ocpp[0], { action: "GetConfiguration", args: { key: ["HeartbeatInterval"] } }, (d) => expect(d.configurationKey).toBeArray()],
        [CHARGERS.evsemaster[0], { action: "fetch_config" }, (d) => expect(d).toBeObject()],
        [CHARGERS.openevse[0], { action: "status" }, (d) => expect(d.state_text).toBe("not connected")],
      ];
      for (const [id, req, check] of cases) {
        const since = probe.mark();
        await probe.publish(`${base}/${id}/request`, { transaction: `tx-${id}`, ...req });
        const r = await probe.waitJson<Json>(`${base}/${id}/response`, (x) => x.transaction === `tx-${id}`, 15_000, since);
        expect(r.status).toBe("ok");
        check(r.data as Json);
      }
    });

    test("SIGTERM: exit 0, every charger and the bridge offline", async () => {
      const since = probe.mark();
      expect(await bridge.stop()).toBe(0);
      await probe.wait(`${base}/bridge/state`, (m) => m.text === "offline", 5000, since);
      for (const id of Object.values(CHARGERS).flat()) {
        await probe.wait(`${base}/${id}/availability`, (m) => m.text === "offline", 5000, since);
      }
    });

    test("simulators stop cleanly on SIGTERM too", async () => {
      for (const s of sims) expect(await s.stop()).toBe(0);
    });
  });
}
