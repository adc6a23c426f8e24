import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { CommandError } from "../../lib/errors.ts";
import { Hub } from "../../lib/hub.ts";
import type { ChargerDriver } from "../../lib/protocol.ts";
import { createLogger, silentLogger } from "../../lib/log.ts";
import { MqttLink } from "../../lib/mqtt.ts";
import { startBroker, type TestBroker } from "../support/broker.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";

setDefaultTimeout(20_000);
let broker: TestBroker;
let mqtt: MqttLink;
let hub: Hub;
let probe: MqttProbe;
const base = "hubtest";
const errors: string[] = [];

beforeAll(async () => {
  broker = await startBroker();
  mqtt = new MqttLink(
    { url: broker.url, client_id: base, reject_unauthorized: true, base_topic: base, queue_limit: 100, keepalive_s: 10, reconnect_min_s: 0.1, reconnect_max_s: 0.5 },
    silentLogger,
    () => ({ info: "{}" }),
  );
  await mqtt.start(5000);
  hub = new Hub(mqtt, { base_topic: base, republish_s: 0, discovery: false, discovery_prefix: "homeassistant" }, createLogger({ level: "error", json: false, write: (l) => errors.push(l) }));
  hub.start();
  probe = await MqttProbe.connect(broker.url, [`${base}/#`]);
});

afterAll(async () => {
  await probe.close();
  await mqtt.close();
  await broker.dispose();
});

function driver(name: string): ChargerDriver {
  return {
    set: async () => ({ by: name }),
    request: async (action) => {
      if (action === "fail") throw new CommandError(`${name} refuses`);
      return { by: name };
    },
  };
}

test("a second charger whose id collides with a live one is left out; the first keeps its topics and commands", async () => {
  const first = hub.attach("CP_2", { protocol: "ocpp", owner: "ocpp:CP#2" }, driver("connector"));
  first.update({ status: "charging" });
  const second = hub.attach("CP_2", { protocol: "ocpp", owner: "ocpp:CP_2" }, driver("charger"));
  second.update({ status: "available" });
  second.detach();
  expect(hub.state("CP_2")?.status).toBe("charging");
  expect(errors.some((l) => l.includes("already in use"))).toBe(true);
  const since = probe.mark();
  await probe.publish(`${base}/CP_2/request`, { transaction: 1, action: "x" });
  expect(await probe.waitJson(`${base}/CP_2/response`, () => true, 5000, since)).toEqual({ transaction: 1, status: "ok", data: { by: "connector" } });
  expect(probe.messages.some((m) => m.topic === `${base}/CP_2/availability` && m.text === "offline")).toBe(false);
  // Once the owner is gone, the other may take the id.
  first.detach();
  const later = hub.attach("CP_2", { protocol: "ocpp", owner: "ocpp:CP_2" }, driver("charger"));
  later.update({ status: "available" });
  expect(hub.state("CP_2")?.status).toBe("available");
});

test("the same owner reconnecting replaces its own entry; driver errors become error replies", async () => {
  const a = hub.attach("SER1", { protocol: "dehne" }, driver("old"));
  const b = hub.attach("SER1", { protocol: "dehne" }, driver("new"));
  a.update({ status: "error" }); // a replaced session cannot touch the newer one's state
  b.update({ status: "available" });
  expect(hub.state("SER1")?.status).toBe("available");
  const since = probe.mark();
  await probe.publish(`${base}/SER1/request`, { transaction: "f", action: "fail" });
  expect(await probe.waitJson(`${base}/SER1/response`, () => true, 5000, since)).toEqual({ transaction: "f", status: "error", error: "new refuses" });
});

test("remove() clears every retained topic of a charger and leaves its old handle dead", async () => {
  const h = hub.attach("GONE1", { protocol: "dehne" }, driver("gone"));
  await h.update({ status: "charging" });
  await h.detail("extra", '{"x":1}');
  await probe.wait(`${base}/GONE1/extra`);
  const since = probe.mark();
  expect(await hub.remove("GONE1")).toBe(true);
  for (const t of ["GONE1", "GONE1/availability", "GONE1/extra"]) {
    expect((await probe.wait(`${base}/${t}`, (m) => m.text === "", 5000, since)).retain).toBe(false);
  }
  await h.update({ status: "error" });
  expect(hub.state("GONE1")).toBeUndefined();
  expect(await hub.remove("GONE1")).toBe(false);
  // A new subscriber finds nothing retained: only the sentinel published after it subscribed.
  const fresh = await MqttProbe.connect(broker.url, [`${base}/GONE1/#`, `${base}/GONE1`]);
  await fresh.publish(`${base}/GONE1/sentinel`, "s");
  await fresh.wait(`${base}/GONE1/sentinel`);
  expect(fresh.messages.map((m) => m.topic)).toEqual([`${base}/GONE1/sentinel`]);
  await fresh.close();
});

test("a charger called 'bridge' never gets topics under the bridge's own", async () => {
  const h = hub.attach("bridge", { protocol: "dehne" }, driver("impostor"));
  await h.update({ status: "charging" });
  expect(hub.state("bridge")).toBeUndefined();
  expect(errors.some((l) => l.includes("reserved for the bridge"))).toBe(true);
});
