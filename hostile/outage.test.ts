// The broker killed under load and restarted: every QoS 1 event the chargers produced meanwhile
// reaches a subscriber afterwards, in order, none lost, none doubled.
import { expect, setDefaultTimeout, test } from "bun:test";
import { simSerial } from "../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../test/support/broker-for-file.ts";
import { freePort } from "../test/support/ports.ts";
import { MqttProbe } from "../test/support/mqtt-probe.ts";
import { sleep, until } from "../test/support/until.ts";
import { base, bridge, cli, report } from "./support.ts";

setDefaultTimeout(120_000);
const shared = brokerForFile();

test("broker killed for 5 s under load: every queued event delivered after the restart, in order", async () => {
  const b = base("out");
  const port = await freePort();
  const topic = `from_${b}`;
  const clientId = `${b}-probe`;
  let probe = await MqttProbe.connect(shared.url, [topic], { clientId, clean: false });
  const p = bridge(`[mqtt]\nurl = "${shared.url}"\nbase_topic = "${b}"\nclient_id = "${b}"\nreconnect_min_s = 0.2\nreconnect_max_s = 1\n[homeassistant]\ndiscovery = false\n[dehne]\nlisten = "127.0.0.1:${port}"\npoll_interval_s = 1\ntopic_publish = "${topic}"\ntopic_subscribe = "to_${b}"\n`);
  await until(() => p.log.includes("evse2mqtt running"), "bridge running", 20_000);
  const sims = cli("simulate", "dehne", "--connect", `127.0.0.1:${port}`, "--count", "3", "--no-car");
  try {
    const chargers = [simSerial(1), simSerial(2), simSerial(3)];
    for (const c of chargers) await probe.waitJson(topic, (m) => m.client_id === c && m.message_type === "response_collect_data", 30_000);
    await probe.close();
    await shared.broker.stop();
    const downAt = Date.now();
    await sleep(5000);
    await shared.broker.restart();
    const upAt = Date.now();
    probe = await MqttProbe.connect(shared.url, [topic], { clientId, clean: false });
    // Sentinel: a poll answered after the restart, for each charger.
    for (const c of chargers) {
      await probe.waitJson<{ client_id: string; message_type: string }>(topic, (m) => m.client_id === c && m.message_type === "response_collect_data", 30_000);
    }
    await until(() => chargers.every((c) => probe.messages.some((m) => m.at > upAt + 1500 && m.text.includes(c))), "fresh polls after the restart", 30_000);
    let gaps = 0;
    let queued = 0;
    for (const c of chargers) {
      const ups = probe.messages.map((m) => JSON.parse(m.text)).filter((m) => m.client_id === c && m.message_type === "response_collect_data").map((m) => Number(m.measurements.uptime_milliseconds));
      queued += ups.length;
      for (let i = 1; i < ups.length; i++) {
        const d = ups[i]! - ups[i - 1]!;
        // One poll a second: a missing event shows as a step of two seconds or more; a doubled one as ≤ 0.
        if (d <= 0 || d > 1800) gaps++;
      }
    }
    expect(gaps).toBe(0);
    expect(queued).toBeGreaterThanOrEqual(3 * 4);
    report("broker-outage", `down ${upAt - downAt} ms: ${queued} QoS 1 events from 3 chargers delivered after the restart, ${gaps} gaps or duplicates`);
  } finally {
    await probe.close();
    await sims.stop();
    await p.stop();
  }
});
