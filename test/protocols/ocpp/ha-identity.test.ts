// An OCPP charger whose identity has characters outside Home Assistant's discovery alphabet
// (`wb.garage1`) still appears in HA: its discovery topics and ids are valid and its own.
import { expect, setDefaultTimeout, test } from "bun:test";
import { ocppPlugin } from "../../../protocols/ocpp/index.ts";
import { simulatorProcess } from "../../support/bridge-process.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { startInProcess } from "../../support/in-process-bridge.ts";
import { freePort } from "../../support/ports.ts";

setDefaultTimeout(30_000);
const shared = brokerForFile({ probe: ["homeassistant/#"] });

test("a dotted identity gets discovery topics in HA's alphabet, reading its own state", async () => {
  const port = await freePort();
  const bridge = await startInProcess(ocppPlugin, shared.url, { listen: `127.0.0.1:${port}` }, { discovery: true });
  const sim = simulatorProcess(["ocpp", "--connect", `ws://127.0.0.1:${port}`, "--prefix", "wb.garage", "--count", "1"]);
  try {
    const m = await shared.probe.wait(/^homeassistant\/sensor\/[^/]*wb_garage1[^/]*\/status\/config$/, () => true, 20_000);
    expect(m.topic).toMatch(/^homeassistant\/sensor\/[a-zA-Z0-9_-]+\/status\/config$/);
    const cfg = JSON.parse(m.text);
    expect(cfg.state_topic).toBe(`${bridge.base}/wb.garage1`);
    expect(cfg.unique_id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(cfg.default_entity_id).toMatch(/^sensor\.[a-z0-9_]+$/);
    // Not the same device as a charger really called wb_garage1 would get.
    expect(m.topic).not.toBe(`homeassistant/sensor/${bridge.base}_wb_garage1/status/config`);
  } finally {
    await sim.stop();
    await bridge.stop();
  }
});
