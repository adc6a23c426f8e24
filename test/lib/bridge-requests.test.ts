// <base>/bridge/request/<name> → <base>/bridge/response/<name>, zigbee2mqtt style, against a real broker.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { serveBridgeRequests } from "../../lib/bridge-requests.ts";
import { Hub } from "../../lib/hub.ts";
import { silentLogger } from "../../lib/log.ts";
import { MqttLink } from "../../lib/mqtt.ts";
import type { ChargerDriver } from "../../lib/protocol.ts";
import { startBroker, type TestBroker } from "../support/broker.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";

setDefaultTimeout(20_000);
let broker: TestBroker;
let mqtt: MqttLink;
let hub: Hub;
let probe: MqttProbe;
const base = "bridgereq";
const driver: ChargerDriver = { set: async () => ({}), request: async () => ({}) };

beforeAll(async () => {
  broker = await startBroker();
  mqtt = new MqttLink({ url: broker.url, client_id: base, reject_unauthorized: true, base_topic: base, queue_limit: 100, keepalive_s: 10, reconnect_min_s: 0.1, reconnect_max_s: 0.5 }, silentLogger, () => ({ info: "{}" }));
  await mqtt.start(5000);
  hub = new Hub(mqtt, { base_topic: base, republish_s: 0, discovery: true, discovery_prefix: "hatest" }, silentLogger);
  hub.start();
  serveBridgeRequests(mqtt, base, { hub, info: () => ({ version: "test" }) }, silentLogger);
  probe = await MqttProbe.connect(broker.url, [`${base}/#`, "hatest/#"]);
});

afterAll(async () => {
  await probe.close();
  await mqtt.close();
  await broker.dispose();
});

type Reply = { transaction?: unknown; status: string; data?: Record<string, unknown>; error?: string };

async function ask(name: string, body: Record<string, unknown>): Promise<Reply> {
  const since = probe.mark();
  await probe.publish(`${base}/bridge/request/${name}`, body);
  return probe.waitJson<Reply>(`${base}/bridge/response/${name}`, () => true, 5000, since);
}

test("remove forgets an offline charger with its discovery; a connected one is refused", async () => {
  const live = hub.attach("LIVE1", { protocol: "dehne", capabilities: { enable: true } }, driver);
  const gone = hub.attach("GONE1", { protocol: "dehne", capabilities: { enable: true } }, driver);
  await gone.update({ status: "available" });
  await probe.wait("hatest/switch/bridgereq_GONE1/enabled/config");
  gone.detach();
  expect(await ask("remove", { transaction: 7, id: "LIVE1" })).toMatchObject({ transaction: 7, status: "error", error: expect.stringContaining("is connected") });
  const since = probe.mark();
  expect(await ask("remove", { transaction: 8, id: "GONE1" })).toEqual({ transaction: 8, status: "ok", data: { id: "GONE1", removed: true } });
  await probe.wait("hatest/switch/bridgereq_GONE1/enabled/config", (m) => m.text === "", 5000, since);
  await probe.wait(`${base}/GONE1`, (m) => m.text === "", 5000, since);
  expect(hub.list().map((c) => c.id)).toEqual(["LIVE1"]);
  expect((await ask("remove", { id: "GONE1" })).error).toBe('unknown charger "GONE1"');
  live.detach();
});

test("info lists the chargers; republish_discovery resends; unknown requests and bad bodies get errors", async () => {
  const info = await ask("info", { transaction: "i" });
  expect(info.data).toMatchObject({ version: "test", chargers: [{ id: "LIVE1", protocol: "dehne", online: false }] });
  const since = probe.mark();
  expect((await ask("republish_discovery", {})).data).toEqual({ chargers: 1 });
  await probe.wait("hatest/switch/bridgereq_LIVE1/enabled/config", (m) => m.text !== "", 5000, since);
  expect((await ask("reboot", { transaction: 1 })).error).toMatch(/unknown action "reboot"; expected one of remove, republish_discovery, info/);
  expect((await ask("remove", { idd: "x" })).error).toMatch(/invalid args for remove/);
});
