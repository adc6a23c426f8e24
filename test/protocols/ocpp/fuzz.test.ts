// Random and mutated OCPP-J frames (seeded, bounded): no crash, every answer well-formed, other chargers unaffected.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../lib/log.ts";
import { makeAnswers } from "../../../protocols/ocpp/answers.ts";
import { decodeFrame, encodeFrame } from "../../../protocols/ocpp/codec.ts";
import { ocppSectionSchema } from "../../../protocols/ocpp/config.ts";
import { OcppStateStore } from "../../../protocols/ocpp/persist.ts";
import { makePolicy } from "../../../protocols/ocpp/policy.ts";
import { OcppSession } from "../../../protocols/ocpp/session.ts";
import { SimulatedChargePoint } from "../../../protocols/ocpp/sim/charge-point.ts";
import { startBroker, type TestBroker } from "../../support/broker.ts";
import { prng as rng } from "../../support/prng.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { type OcppBridge, RawCp, sleep, startOcpp } from "./helpers.ts";
import { drain, memoryLink } from "./memory-link.ts";

// Real sockets and a real broker: allow more than bun's 5 s default, still bounded.
setDefaultTimeout(20_000);

const VALID = [
  [2, "b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" }],
  [2, "s", "StatusNotification", { connectorId: 1, errorCode: "NoError", status: "Charging" }],
  [2, "m", "MeterValues", { connectorId: 1, transactionId: 3, meterValue: [{ timestamp: "2026-01-01T00:00:00Z", sampledValue: [{ value: "1", measurand: "Voltage", phase: "L2" }] }] }],
  [2, "t", "StartTransaction", { connectorId: 1, idTag: "a", meterStart: 0, timestamp: "2026-01-01T00:00:00Z" }],
  [2, "x", "StopTransaction", { transactionId: 1, meterStop: 5, timestamp: "2026-01-01T00:00:00Z" }],
  [3, "r", { status: "Accepted" }],
  [4, "e", "GenericError", "", {}],
];

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8));
  switch (k) {
    case 0: return Math.floor(r() * 1e6) - 5e5;
    case 1: return r() < 0.5 ? "" : String.fromCharCode(...Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 0x2fff)));
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return r() * 1e9;
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [["connectorId", "idTag", "status", "value", "x"][i % 5]!, randomValue(r, depth + 1)]));
  }
}

function mutate(r: () => number, frame: unknown[]): unknown {
  const f = structuredClone(frame);
  const i = Math.floor(r() * f.length);
  const payload = f.at(-1);
  if (r() < 0.5 && payload && typeof payload === "object" && !Array.isArray(payload)) {
    const keys = Object.keys(payload);
    const key = keys[Math.floor(r() * keys.length)] ?? "extra";
    (payload as Record<string, unknown>)[key] = randomValue(r);
  } else {
    f[i] = randomValue(r);
  }
  if (r() < 0.2) f.length = Math.floor(r() * f.length);
  return f;
}

function randomFrame(r: () => number): string {
  const kind = r();
  if (kind < 0.15) return String.fromCharCode(...Array.from({ length: Math.floor(r() * 60) }, () => Math.floor(r() * 256)));
  if (kind < 0.3) return JSON.stringify(randomValue(r));
  const base = VALID[Math.floor(r() * VALID.length)]!;
  const text = JSON.stringify(mutate(r, base));
  // Occasionally cut the text short to get truncated JSON.
  return r() < 0.1 ? text.slice(0, Math.floor(r() * text.length)) : text;
}

test("OcppSession: 5000 random frames, never throws, answers only CALLs and only with well-formed frames", async () => {
  const r = rng(1234);
  const frames = Array.from({ length: 5000 }, () => decodeFrame(randomFrame(r)));
  const cfg = ocppSectionSchema.parse({});
  const answers = makeAnswers({ cfg, policy: makePolicy(cfg), store: new OcppStateStore(mkdtempSync(join(tmpdir(), "ocpp-fuzz-")), silentLogger), chargingEnabled: () => true, onRefusedConnector: () => {} });
  const m = memoryLink((i) => frames[i]);
  const session = new OcppSession(m.link, answers, { identity: "FUZZ", lenient: false, callTimeoutMs: 1000, maxBadMessages: 1_000_000, log: silentLogger });
  await drain(session.events);
  const sent = m.sent.map(encodeFrame);
  expect(sent.length).toBeGreaterThan(100);
  for (const t of sent) {
    const d = decodeFrame(t);
    // A CALL with an overlong id is still answered, with that id (the one frame we cannot decode back).
    if (d.ok) expect([3, 4]).toContain(d.frame.type);
    else expect((JSON.parse(t) as unknown[]).slice(0, 4)).toEqual([4, expect.any(String), "FormationViolation", "unique id longer than 36 characters"]);
  }
  expect(m.closes).toBe(0);
  expect(session.badTotal).toBeGreaterThan(100);
});

let broker: TestBroker;
let bridge: OcppBridge;
let probe: MqttProbe;
let good: SimulatedChargePoint;

beforeAll(async () => {
  broker = await startBroker();
  bridge = await startOcpp(broker.url, { max_bad_messages: 10 });
  probe = await MqttProbe.connect(broker.url, ["ocpp/GOOD/#", `${bridge.base}/GOOD`]);
  good = new SimulatedChargePoint({ url: bridge.url("/ocpp/GOOD"), identity: "GOOD", meterIntervalMs: 60_000, log: silentLogger });
  await good.start();
});

afterAll(async () => {
  good?.stop();
  await bridge?.stop();
  await probe?.close();
  await broker?.dispose();
});

test("fuzzing chargers over real sockets get closed after bad floods; a well-behaved charger keeps working", async () => {
  const r = rng(42);
  const closedCodes: number[] = [];
  for (let c = 0; c < 4; c++) {
    const cp = await RawCp.connect(bridge.url(`/ocpp/FUZZ${c}`));
    for (let i = 0; i < 150 && cp.ws.readyState === cp.ws.OPEN; i++) cp.send(randomFrame(r));
    // Pure garbage after that: the bounded bad-message count must close the socket.
    for (let i = 0; i < 12 && cp.ws.readyState === cp.ws.OPEN; i++) cp.send("garbage");
    closedCodes.push(await Promise.race([cp.closed, sleep(3000).then(() => -1)]));
    for (const m of cp.received) expect([2, 3, 4].includes(Number(m[0]))).toBe(true);
  }
  expect(closedCodes.every((code) => code === 1008)).toBe(true);
  const since = probe.mark();
  await probe.publish("ocpp/GOOD/cmd", { action: "get_local_version", id: "after-fuzz" });
  const doc = await probe.waitJson<{ status: string; id?: string }>("ocpp/GOOD/cmd_response", (d) => d.id === "after-fuzz", 5000, since);
  expect(doc.status).toBe("ok");
  await good.plugIn(1);
  await probe.wait("ocpp/GOOD/state/status", (m) => m.text === "Charging", 5000, since);
});
