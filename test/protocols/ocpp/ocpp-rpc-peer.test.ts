// An independent OCPP implementation (ocpp-rpc, strict schema validation on its side) as the charge point;
// its identity "RPC:1" travels percent-encoded (%3A) in the URL.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { RPCClient } from "ocpp-rpc";
import type { NormalizedState } from "../../../lib/normalized.ts";
import { startBroker, type TestBroker } from "../../support/broker.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { type OcppBridge, startOcpp } from "./helpers.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

let broker: TestBroker;
let bridge: OcppBridge;
let probe: MqttProbe;

beforeAll(async () => {
  broker = await startBroker();
  bridge = await startOcpp(broker.url, { chargers: { "RPC:1": { password: "k3y" } }, authorized_tags: ["TAG1"], charging_enabled_default: true });
  probe = await MqttProbe.connect(broker.url, [`${bridge.base}/#`, "ocpp/#"]);
});

afterAll(async () => {
  await bridge?.stop();
  await probe?.close();
  await broker?.dispose();
});

test("ocpp-rpc RPCClient in strict mode runs a whole session against the bridge", async () => {
  const client = new RPCClient({
    endpoint: bridge.url("/ocpp"),
    identity: "RPC:1",
    password: "k3y",
    protocols: ["ocpp1.6"],
    strictMode: true,
    strictModeValidators: [],
    reconnect: false,
    callTimeoutMs: 5000,
    pingIntervalMs: 30_000,
    deferPingsOnActivity: false,
    respondWithDetailedErrors: false,
    callConcurrency: 1,
    maxBadMessages: 5,
    wsOpts: {},
    headers: {},
    maxReconnects: 0,
    backoff: { initialDelay: 100, maxDelay: 1000, factor: 2, randomisationFactor: 0 },
  });
  const seen: string[] = [];
  client.handle("ChangeAvailability", async ({ params }) => {
    seen.push(`ChangeAvailability ${JSON.stringify(params)}`);
    return { status: "Accepted" };
  });
  client.handle("GetConfiguration", async () => ({ configurationKey: [{ key: "HeartbeatInterval", readonly: false, value: "60" }] }));
  try {
    await client.connect();
    expect(client.protocol).toBe("ocpp1.6");
    const boot = (await client.call("BootNotification", { chargePointVendor: "ocpp-rpc", chargePointModel: "peer" })) as { status: string; interval: number };
    expect(boot.status).toBe("Accepted");
    expect(boot.interval).toBe(60);
    await client.call("Heartbeat", {});
    await client.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Preparing" });
    expect(await client.call("Authorize", { idTag: "tag1" })).toEqual({ idTagInfo: { status: "Accepted" } });
    const start = (await client.call("StartTransaction", { connectorId: 1, idTag: "tag1", meterStart: 500, timestamp: new Date().toISOString() })) as { transactionId: number };
    await client.call("StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" });
    const since = probe.mark();
    await client.call("MeterValues", {
      connectorId: 1,
      transactionId: start.transactionId,
      meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: "1.5", measurand: "Energy.Active.Import.Register", unit: "kWh" }, { value: "3.7", measurand: "Power.Active.Import", unit: "kW" }] }],
    });
    const s = await probe.waitJson<NormalizedState>(`${bridge.base}/RPC:1`, (x) => x.energy_total_wh === 1500, 5000, since);
    expect(s.status).toBe("charging");
    expect(s.power_w).toBe(3700);
    expect(s.energy_session_wh).toBe(1000);
    expect(s.energy_total_wh).toBe(1500);
    expect(await client.call("DataTransfer", { vendorId: "x" })).toEqual({ status: "Accepted" });
    expect(await client.call("StopTransaction", { transactionId: start.transactionId, meterStop: 1600, timestamp: new Date().toISOString() })).toEqual({ idTagInfo: { status: "Accepted" } });
    // Commands from both MQTT layouts reach it; its strict validator accepted our CALLs.
    await probe.publish(`${bridge.base}/RPC:1/set`, { transaction: "p1", enabled: false });
    const r = await probe.waitJson<{ transaction?: string; id?: string | number; status: string }>(`${bridge.base}/RPC:1/response`, (x) => x.transaction === "p1", 5000, since);
    expect(r.status).toBe("ok");
    expect(seen).toEqual(['ChangeAvailability {"connectorId":0,"type":"Inoperative"}']);
    await probe.publish("ocpp/RPC:1/cmd", { action: "get_configuration", args: {} });
    await probe.wait("ocpp/RPC:1/cmd_result/configuration_key", (m) => m.text.includes("HeartbeatInterval"), 5000, since);
  } finally {
    await client.close({ force: true });
  }
});
