import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { Hub } from "../../lib/hub.ts";
import { createLogger, silentLogger } from "../../lib/log.ts";
import { MqttLink } from "../../lib/mqtt.ts";
import { startBroker, type TestBroker } from "../support/broker.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";
import { sleep, until } from "../support/until.ts";

setDefaultTimeout(30_000);
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function link(url: string, base: string, queueLimit = 100, lines: string[] = []): MqttLink {
  const log = createLogger({ level: "warn", json: false, write: (l) => lines.push(l) });
  return new MqttLink(
    { url, client_id: base, reject_unauthorized: true, base_topic: base, queue_limit: queueLimit, keepalive_s: 10, reconnect_min_s: 0.1, reconnect_max_s: 0.5 },
    log,
    () => ({ info: JSON.stringify({ version: "test" }) }),
  );
}

test("a bridge started while the broker is down subscribes and flushes once it comes up", async () => {
  const broker = await startBroker();
  cleanup.push(() => broker.dispose());
  await broker.stop();
  const base = "down-at-start";
  const mqtt = link(broker.url, base);
  void mqtt.start();
  const hub = new Hub(mqtt, { base_topic: base, republish_s: 0, discovery: false, discovery_prefix: "homeassistant" }, silentLogger);
  hub.start();
  cleanup.push(() => mqtt.close());
  mqtt.publish(`${base}/held`, "first", { retain: true });
  mqtt.publish(`${base}/held`, "newest", { retain: true });
  expect(mqtt.queuedCount).toBe(1);
  await sleep(300);
  await broker.restart();
  await until(() => mqtt.connected, "bridge connected", 10_000);
  const probe = await MqttProbe.connect(broker.url, [`${base}/#`]);
  cleanup.push(() => probe.close());
  // The retained value held through the outage is the newest one only.
  expect((await probe.wait(`${base}/held`)).text).toBe("newest");
  expect((await probe.wait(`${base}/bridge/state`)).text).toBe("online");
  // Subscriptions made while offline work: a command for an unknown charger is answered.
  await probe.publish(`${base}/nobody/request`, { transaction: 1, action: "ping" });
  const r = await probe.waitJson<{ status: string; error: string }>(`${base}/nobody/response`);
  expect(r).toMatchObject({ status: "error", error: 'unknown charger "nobody"' });
});

test("past the queue bound the oldest events are dropped, counted and logged; order is kept", async () => {
  const broker = await startBroker();
  cleanup.push(() => broker.dispose());
  const base = "bounded";
  const lines: string[] = [];
  const mqtt = link(broker.url, base, 5, lines);
  await mqtt.start(5000);
  cleanup.push(() => mqtt.close());
  const probe = await MqttProbe.connect(broker.url, [`${base}/ev`], { clientId: `${base}-probe`, clean: false });
  cleanup.push(() => probe.close());
  await broker.stop();
  await until(() => !mqtt.connected, "bridge noticed the outage", 10_000);
  for (let i = 0; i < 8; i++) mqtt.publish(`${base}/ev`, String(i));
  expect(mqtt.droppedCount).toBe(3);
  expect(lines.some((l) => l.includes("offline queue full"))).toBe(true);
  await broker.restart();
  await until(() => mqtt.connected, "bridge reconnected", 10_000);
  await until(() => probe.messages.filter((m) => m.topic === `${base}/ev`).length >= 5, "queued events delivered", 10_000).catch((e) => {
    throw new Error(`${e}; probe saw ${JSON.stringify(probe.messages)} connected=${probe.client.connected} queued=${mqtt.queuedCount}`);
  });
  await sleep(300);
  expect(probe.messages.filter((m) => m.topic === `${base}/ev`).map((m) => m.text)).toEqual(["3", "4", "5", "6", "7"]);
});
