// The EVerest module's telemetry layout (spec §10): `<prefix>/psu`, `<prefix>/connector/<n>`,
// `<prefix>/connector/<n>/dispenser_to_psu`, `<prefix>/dispenser/published_alarms`, the same JSON
// keys, types and order, `null` until known. Two deliberate differences: a payload goes out only
// when it differs from the last one on its topic (the module re-sends on every register write, so
// every 5 s), and it is retained, so a subscriber that starts later still gets the current values.
import type { MqttLink } from "../../lib/mqtt.ts";
import type { Publish } from "../../lib/mqtt-types.ts";
import { alarmsPayload, connectorPayload, dispenserToPsuPayload, psuPayload, SUBTOPIC, telemetryTopic } from "./telemetry.ts";
import type { PsuUnit } from "./unit.ts";

export class HuaweiTelemetry {
  private readonly out: WritableStreamDefaultWriter<Publish>;
  private readonly last = new Map<string, string>();
  published = 0;

  constructor(mqtt: MqttLink, private readonly unit: PsuUnit, private readonly prefix: string) {
    this.out = mqtt.sink().getWriter();
  }

  /** Every sub-topic whose payload changed; resolves once MQTT has taken them. */
  async publish(): Promise<void> {
    const u = this.unit;
    const topics: [string, unknown][] = [[SUBTOPIC.psu, psuPayload(u.store)]];
    for (const c of u.connectors) {
      const n = c.cfg.global_connector_number;
      topics.push([SUBTOPIC.connector(n), connectorPayload(u.store, c.local)], [SUBTOPIC.dispenserToPsu(n), dispenserToPsuPayload(c.d2p)]);
    }
    topics.push([SUBTOPIC.alarms, alarmsPayload(u.alarms.dispenserAlarms())]);
    const writes: Promise<void>[] = [];
    for (const [sub, payload] of topics) {
      const topic = telemetryTopic(this.prefix, sub);
      if (topic === null) continue;
      const text = JSON.stringify(payload);
      if (this.last.get(topic) === text) continue;
      this.last.set(topic, text);
      this.published++;
      writes.push(this.out.write({ topic, payload: text, retain: true, qos: 0 }).catch(() => {}));
    }
    await Promise.all(writes);
  }
}
