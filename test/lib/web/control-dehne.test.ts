// The page's /set and MQTT's /set are one path: against a real Dehne device (simulated charger on
// a real socket, real Mosquitto), the same payload gets the same reply either way, and the rate
// limit one of them claimed binds the other.
import { expect, setDefaultTimeout, test } from "bun:test";
import { silentLogger } from "../../../lib/log.ts";
import { createWebApp } from "../../../lib/web/app.ts";
import { webSection } from "../../../lib/web/config.ts";
import { dehnePlugin } from "../../../protocols/dehne/index.ts";
import { SimulatedDehne, simSerial } from "../../../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { startInProcess } from "../../support/in-process-bridge.ts";
import { until } from "../../support/until.ts";
import { basic } from "./support.ts";

setDefaultTimeout(30_000);
const shared = brokerForFile({ probe: ["#"] });
const SERIAL = simSerial(21);

type Reply = { transaction?: string; status: string; data?: unknown; error?: string };

test("web and MQTT /set give identical replies and share the charger's guard", async () => {
  const bridge = await startInProcess(dehnePlugin, shared.url, {
    listen: "127.0.0.1:0",
    topic_publish: "from_webctl",
    topic_subscribe: "to_webctl",
    poll_interval_s: 1,
    max_current_a: 16,
    contactor_min_interval_s: 30,
  });
  const app = createWebApp({
    hub: bridge.hub,
    mqtt: bridge.mqtt,
    settings: webSection.parse({ listen: "127.0.0.1:0", username: "u", password: "p", control: true }),
    queueLimit: 1000,
    facts: { version: "t", runtime: "t", protocols: ["dehne"], startedAt: Date.now() },
    log: silentLogger,
  });
  const port = "port" in bridge.running && typeof bridge.running.port === "number" ? bridge.running.port : 0;
  const sim = new SimulatedDehne({ target: { host: "127.0.0.1", port }, serial: SERIAL, firmware: 4, reconnectMs: 200 });
  const probe = shared.probe;
  let n = 0;
  const viaMqtt = async (payload: string): Promise<Reply> => {
    const transaction = `w${n++}`;
    const since = probe.mark();
    // The transaction goes in as a key of an object payload (and only there); the rest is compared.
    const withTx = payload.startsWith("{") ? `{"transaction":"${transaction}",${payload.slice(1)}` : payload;
    await probe.publish(`${bridge.base}/${SERIAL}/set`, withTx.replace(",}", "}"));
    const r = await probe.waitJson<Reply>(`${bridge.base}/${SERIAL}/response`, (x) => x.transaction === transaction || (!payload.startsWith("{") && x.transaction === undefined), 5000, since);
    const { transaction: _t, ...rest } = r;
    return rest;
  };
  const viaWeb = async (payload: string): Promise<Reply> => {
    const r = await app.handler(new Request(`http://127.0.0.1/api/chargers/${SERIAL}/set`, { method: "POST", headers: { ...basic("u", "p"), "Content-Type": "application/json" }, body: payload }), { remoteAddress: "127.0.0.1" });
    return r.json();
  };
  try {
    await sim.start();
    await probe.wait(`${bridge.base}/${SERIAL}/availability`, (m) => m.text === "online");
    await sim.plugIn();
    await until(() => bridge.hub.state(SERIAL)?.iec_state === "B", "car plugged in seen");
    for (const payload of ['{"current_limit_a":100}', '{"current_limit_a":2}', '{"current_limt_a":6}', "{}", '{"enabled":"yes"}', "[1,2]"]) {
      const m = await viaMqtt(payload);
      const w = await viaWeb(payload);
      expect({ payload, reply: w }).toEqual({ payload, reply: m });
    }
    // Enabling via MQTT closes the contactor (a switch); stopping via the page is honoured, and
    // starting again via the page is refused by the interval that switch started.
    expect((await viaMqtt('{"enabled":true}')).status).toBe("ok");
    await until(() => sim.contactor, "contactor closed");
    expect((await viaWeb('{"enabled":false}')).status).toBe("ok");
    const again = await viaWeb('{"enabled":true}');
    expect(again.error).toMatch(/^enabling charging refused: the last on\/off switch was \d+ s ago; next allowed in \d+ s \(minimum interval 30 s\)$/);
    // The same refusal via MQTT (seconds may tick between the two).
    const seconds = (r: Reply) => ({ ...r, error: r.error?.replace(/\d+ s\b/g, "N s") });
    expect(seconds(await viaMqtt('{"enabled":true}'))).toEqual(seconds(again));
  } finally {
    app.close();
    await sim.stop();
    await bridge.stop();
  }
});
