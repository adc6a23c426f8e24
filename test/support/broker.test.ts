// The test brokers themselves: which one is chosen, that both keep what the outage tests rely on
// across a restart (retained messages, a persistent session's subscriptions and its queued QoS 1
// messages), and that both send a new subscription's retained messages before anything the
// subscriber publishes next (what sentinels rely on). aedes runs in every run; Mosquitto where it
// is installed.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { chooseBroker, startBroker, type BrokerChoice, type TestBroker } from "./broker.ts";
import { findExecutable, noticeOnce } from "./executables.ts";
import { topicMatches } from "./file-persistence.ts";
import { until } from "./until.ts";

setDefaultTimeout(30_000);

describe("choosing the test broker", () => {
  const fakeBinDir = mkdtempSync(join(tmpdir(), "evse2mqtt-fakebin-"));
  const fake = join(fakeBinDir, "mosquitto");
  writeFileSync(fake, "#!/bin/sh\nexit 1\n");
  chmodSync(fake, 0o755);

  test("Mosquitto when it is on the PATH, else aedes", () => {
    expect(chooseBroker({ PATH: fakeBinDir }, [])).toEqual({ kind: "mosquitto", bin: fake });
    expect(chooseBroker({ PATH: "/nonexistent" }, [fakeBinDir])).toEqual({ kind: "aedes", why: "no mosquitto on the PATH" });
  });

  test("EVSE2MQTT_TEST_BROKER=aedes wins over an installed Mosquitto", () => {
    expect(chooseBroker({ PATH: fakeBinDir, EVSE2MQTT_TEST_BROKER: "aedes" }, []).kind).toBe("aedes");
  });

  test("EVSE2MQTT_TEST_BROKER=mosquitto fails without Mosquitto, and also looks where Debian puts it", () => {
    expect(() => chooseBroker({ PATH: "/nonexistent", EVSE2MQTT_TEST_BROKER: "mosquitto" }, [])).toThrow(/no mosquitto executable.*apt-get install -y mosquitto/);
    expect(chooseBroker({ PATH: "/nonexistent", EVSE2MQTT_TEST_BROKER: "mosquitto" }, [fakeBinDir])).toEqual({ kind: "mosquitto", bin: fake });
  });

  test("an unknown value is an error, not a silent default", () => {
    expect(() => chooseBroker({ EVSE2MQTT_TEST_BROKER: "rabbitmq" })).toThrow(/must be "mosquitto", "aedes" or "auto", not "rabbitmq"/);
  });
});

test("topic filters match as MQTT says", () => {
  const cases: [string, string, boolean][] = [
    ["a/b", "a/b", true],
    ["a/+", "a/b", true],
    ["a/+", "a/b/c", false],
    ["a/#", "a", true],
    ["a/#", "a/b/c", true],
    ["+/b", "a/b", true],
    ["a/b", "a/c", false],
    ["#", "$SYS/x", false],
    ["+/x", "$SYS/x", false],
    ["$SYS/#", "$SYS/x", true],
  ];
  for (const [filter, topic, want] of cases) expect([filter, topic, topicMatches(filter, topic)]).toEqual([filter, topic, want]);
});

const choices: BrokerChoice[] = [{ kind: "aedes", why: "tested directly" }];
const mosquittoBin = findExecutable("mosquitto", ["/usr/sbin", "/usr/local/sbin"]);
if (mosquittoBin) choices.push({ kind: "mosquitto", bin: mosquittoBin });
else noticeOnce("broker-test-mosquitto", "no mosquitto installed: the broker restart checks run against aedes only");

for (const choice of choices) {
  describe(`${choice.kind} as the test broker`, () => {
    const clients: MqttClient[] = [];
    let broker: TestBroker | undefined;
    const started = () => {
      if (!broker) throw new Error("broker not started");
      return broker;
    };
    beforeAll(async () => {
      broker = await startBroker(choice);
    });
    afterAll(async () => {
      for (const c of clients) await c.endAsync(true);
      await broker?.dispose();
    });

    const connect = async (url: string, clientId: string, clean: boolean, seen: string[] = []) => {
      const c = mqtt.connect(url, { clientId, clean, reconnectPeriod: 0, connectTimeout: 5000 });
      clients.push(c);
      c.on("message", (topic, payload) => seen.push(`${topic}=${payload.toString()}`));
      const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
        c.once("connect", resolve);
        c.once("error", reject);
      });
      return { c, connack, seen };
    };

    test("retained messages, a persistent session and its queued QoS 1 messages survive", async () => {
      const b = started();
      expect(b.kind).toBe(choice.kind);
      const sub = await connect(b.url, "keeper", false);
      await sub.c.subscribeAsync("q/#", { qos: 1 });
      await sub.c.endAsync();
      const pub = await connect(b.url, "pub", true);
      await pub.c.publishAsync("r/kept", "1", { qos: 1, retain: true });
      await pub.c.publishAsync("r/gone", "1", { qos: 1, retain: true });
      await pub.c.publishAsync("r/gone", "", { qos: 1, retain: true });
      await pub.c.publishAsync("q/before", "queued before the restart", { qos: 1 });
      await pub.c.endAsync();

      await b.restart();

      const pub2 = await connect(b.url, "pub2", true);
      // The restored subscription alone makes the broker queue this for the offline session.
      await pub2.c.publishAsync("q/after", "queued after the restart", { qos: 1 });
      const back = await connect(b.url, "keeper", false);
      expect(back.connack.sessionPresent).toBe(true);
      await until(() => back.seen.length >= 2, `queued messages delivered (saw ${JSON.stringify(back.seen)})`, 10_000);
      expect(back.seen).toEqual(["q/before=queued before the restart", "q/after=queued after the restart"]);

      const fresh = await connect(b.url, "fresh", true);
      await fresh.c.subscribeAsync("r/#", { qos: 1 });
      await until(() => fresh.seen.length >= 1, "retained message delivered", 10_000);
      // A sentinel published after the subscription proves no other retained message is still coming.
      await pub2.c.publishAsync("r/sentinel", "s", { qos: 1 });
      await until(() => fresh.seen.includes("r/sentinel=s"), "sentinel delivered", 10_000);
      expect(fresh.seen).toEqual(["r/kept=1", "r/sentinel=s"]);
    });

    test("a new subscription's retained messages arrive before what the subscriber publishes next", async () => {
      const b = started();
      const pub = await connect(b.url, "many", true);
      const topics = Array.from({ length: 60 }, (_, i) => `many/${String(i).padStart(2, "0")}`);
      for (const t of topics) await pub.c.publishAsync(t, "r", { qos: 1, retain: true });
      const sub = await connect(b.url, "orderly", true);
      await sub.c.subscribeAsync("many/#", { qos: 1 });
      await sub.c.publishAsync("many/sentinel", "s", { qos: 1 });
      await until(() => sub.seen.includes("many/sentinel=s"), "sentinel delivered", 10_000);
      expect(sub.seen.slice(0, -1).sort()).toEqual(topics.map((t) => `${t}=r`));
      expect(sub.seen.at(-1)).toBe("many/sentinel=s");
    });
  });
}
