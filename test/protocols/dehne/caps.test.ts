// Dehne devices are bounded: new serials past max_chargers (or outside allowed_serials) are refused
// and logged once per burst; chargers offline past forget_after_s are forgotten with their topics.
import { expect, setDefaultTimeout, test } from "bun:test";
import { dehnePlugin } from "../../../protocols/dehne/index.ts";
import { SimulatedDehne, simSerial } from "../../../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { startInProcess } from "../../support/in-process-bridge.ts";
import { until } from "../../support/until.ts";

setDefaultTimeout(30_000);
const shared = brokerForFile({ probe: ["#"] });

function portOf(running: object): number {
  return "port" in running && typeof running.port === "number" ? running.port : 0;
}

test("past max_chargers new serials are refused (logged once per burst); known ones still come back", async () => {
  const lines: string[] = [];
  const bridge = await startInProcess(dehnePlugin, shared.url, { listen: "127.0.0.1:0", compatible: false, max_chargers: 2 }, { logLines: lines });
  const sims = Array.from({ length: 12 }, (_, i) => new SimulatedDehne({ target: { host: "127.0.0.1", port: portOf(bridge.running) }, serial: simSerial(100 + i), firmware: 4, reconnectMs: 60_000 }));
  try {
    await sims[0]!.start();
    await sims[1]!.start();
    await until(() => bridge.hub.ids().length === 2, "two chargers admitted");
    for (const s of sims.slice(2)) await s.start();
    await until(() => lines.filter((l) => l.includes("dehne charger refused")).length >= 1, "the refusal is logged");
    // Sentinel: a known serial reconnecting is still admitted after the burst.
    await sims[0]!.stop();
    await until(() => bridge.hub.state(simSerial(100))?.status === "offline", "first charger offline");
    await sims[0]!.start();
    await until(() => bridge.hub.state(simSerial(100))?.status !== "offline", "first charger back");
    expect(bridge.hub.ids().sort()).toEqual([simSerial(100), simSerial(101)]);
    expect(lines.filter((l) => l.includes("dehne charger refused") && !l.includes("(repeated)"))).toHaveLength(1);
    expect(lines.find((l) => l.includes("dehne charger refused"))).toContain("max_chargers (2) reached");
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
    await bridge.stop();
  }
});

test("allowed_serials admits only those; a charger offline past forget_after_s is forgotten and its topics cleared", async () => {
  const allowedSerial = simSerial(200);
  const bridge = await startInProcess(dehnePlugin, shared.url, { listen: "127.0.0.1:0", compatible: false, allowed_serials: [allowedSerial], forget_after_s: 0.5 });
  const probe = shared.probe;
  const good = new SimulatedDehne({ target: { host: "127.0.0.1", port: portOf(bridge.running) }, serial: allowedSerial, firmware: 4, reconnectMs: 60_000 });
  const stranger = new SimulatedDehne({ target: { host: "127.0.0.1", port: portOf(bridge.running) }, serial: simSerial(201), firmware: 4, reconnectMs: 60_000 });
  try {
    await stranger.start();
    await good.start();
    await probe.wait(`${bridge.base}/${allowedSerial}/availability`, (m) => m.text === "online");
    expect(bridge.hub.ids()).toEqual([allowedSerial]);
    const since = probe.mark();
    await good.stop();
    // Offline, then forgotten: empty retained payloads clear state and availability.
    await probe.wait(`${bridge.base}/${allowedSerial}/availability`, (m) => m.text === "offline", 5000, since);
    await probe.wait(`${bridge.base}/${allowedSerial}`, (m) => m.text === "", 5000, since);
    await probe.wait(`${bridge.base}/${allowedSerial}/availability`, (m) => m.text === "", 5000, since);
    expect(bridge.hub.ids()).toEqual([]);
  } finally {
    await stranger.stop();
    await good.stop();
    await bridge.stop();
  }
});
