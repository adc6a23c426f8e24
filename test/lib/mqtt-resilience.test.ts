// The MQTT link against brokers that misbehave: refused logins are retried, never given up; a
// broker that stops acknowledging cannot hold up a shutdown; the embedded broker asks for the
// configured credentials.
import { expect, test } from "bun:test";
import mqtt from "mqtt";
import { startEmbeddedBroker } from "../../lib/embedded-broker.ts";
import { createLogger, silentLogger } from "../../lib/log.ts";
import { CLOSE_BOUND_MS, MqttLink } from "../../lib/mqtt.ts";
import { redactUrl } from "../../lib/redact.ts";
import { FakeBroker } from "../support/fake-broker.ts";
import { until } from "../support/until.ts";

function link(url: string, lines: string[] = [], extra: { username?: string; password?: string } = {}): MqttLink {
  return new MqttLink(
    { url, client_id: "resilience", reject_unauthorized: true, base_topic: "res", queue_limit: 100, keepalive_s: 10, reconnect_min_s: 0.05, reconnect_max_s: 0.2, ...extra },
    createLogger({ level: "info", json: false, write: (l) => lines.push(l) }),
    () => ({ info: "{}" }),
  );
}

test("a broker that refuses the login keeps being retried, loudly, until it accepts", async () => {
  const broker = await FakeBroker.start({ refuse: 3 });
  const lines: string[] = [];
  const l = link(broker.url, lines);
  void l.start();
  await until(() => l.connected, "connected once the broker accepts", 10_000);
  expect(broker.connects).toBe(4);
  expect(lines.filter((x) => x.includes("ERROR") && x.includes("mqtt broker refused the connection")).length).toBe(3);
  expect(lines.some((x) => x.includes("mqtt broker accepts us again"))).toBe(true);
  await l.close();
  await broker.close();
});

test("close() returns within its bound when the broker acknowledges nothing", async () => {
  const broker = await FakeBroker.start();
  const l = link(broker.url);
  await l.start(5000);
  for (let i = 0; i < 20; i++) l.publish("res/ev", String(i));
  await until(() => broker.publishes >= 20, "the publishes reached the broker");
  const t0 = Date.now();
  await l.close();
  const took = Date.now() - t0;
  expect(took).toBeLessThan(CLOSE_BOUND_MS + 500);
  await broker.close();
});

test("subscribed() waits for the broker's acknowledgement of every subscription", async () => {
  const silent = await FakeBroker.start();
  const l = link(silent.url);
  l.subscribe("res/+/set", () => {});
  await l.start(5000);
  let done = false;
  void l.subscribed().then(() => (done = true));
  await until(() => silent.subscribes === 1, "the SUBSCRIBE reached the broker");
  // A sentinel: a publish written after the SUBSCRIBE (and the link's two on connect) has arrived.
  l.publish("res/sentinel", "x");
  await until(() => silent.publishes >= 3, "the sentinel after the SUBSCRIBE");
  expect(done).toBe(false);
  await l.close();
  await silent.close();
  // A broker that acknowledges: subscribed() resolves.
  const b = await startEmbeddedBroker("127.0.0.1", 0, silentLogger);
  const ok = link(`mqtt://127.0.0.1:${b.port}`);
  ok.subscribe("res/+/set", () => {});
  await ok.start(5000);
  await ok.subscribed();
  await ok.close();
  await b.close();
});

test("the embedded broker with credentials refuses anonymous and wrong logins and takes the right one", async () => {
  const b = await startEmbeddedBroker("127.0.0.1", 0, silentLogger, { username: "bridge", password: "s3cret" });
  const attempt = (o: { username?: string; password?: string }) =>
    new Promise<string>((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { ...o, reconnectPeriod: 0, connectTimeout: 3000 });
      c.once("connect", () => {
        c.end(true);
        resolve("accepted");
      });
      c.once("error", (e) => {
        c.end(true);
        resolve(`refused: ${e.message}`);
      });
    });
  expect(await attempt({})).toMatch(/^refused/);
  expect(await attempt({ username: "bridge", password: "s3cre" })).toMatch(/^refused/);
  expect(await attempt({ username: "bridge", password: "s3cret" })).toBe("accepted");
  // The bridge's own link uses the same credentials (MQTT 3.1.1 after aedes turns 5 down).
  const lines: string[] = [];
  const l = link(`mqtt://127.0.0.1:${b.port}`, lines, { username: "bridge", password: "s3cret" });
  await l.start(5000);
  expect(lines.some((x) => x.includes("speaks MQTT 3.1.1 only"))).toBe(true);
  await l.close();
  await b.close();
});

test("URLs are shown without their password, whatever it holds", () => {
  expect(redactUrl("mqtt://alice:S3cretPw@broker:1883")).toBe("mqtt://alice:***@broker:1883");
  expect(redactUrl("mqtt://:pw@host:1883")).toBe("mqtt://:***@host:1883");
  expect(redactUrl("mqtts://user:S3cr3t@Mqtt@host/path@x")).toBe("mqtts://user:***@host/path@x");
  expect(redactUrl("mqtt://onlyuser@host")).toBe("mqtt://onlyuser@host");
  expect(redactUrl("mqtt://host:1883")).toBe("mqtt://host:1883");
});
