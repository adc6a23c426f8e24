// Simulated PSU(s) ⇄ the Huawei plugin in this process ⇄ real Mosquitto ⇄ MQTT probe.
import { createLogger } from "../../../lib/log.ts";
import type { ProtocolPlugin } from "../../../lib/protocol.ts";
import { huaweiConfigSchema } from "../../../protocols/huawei/config.ts";
import { type HuaweiRunning, startHuawei } from "../../../protocols/huawei/dialer.ts";
import { huaweiPlugin } from "../../../protocols/huawei/index.ts";
import { SimulatedPsu, type SimPsuOptions } from "../../../protocols/huawei/sim/psu.ts";
import { startInProcess, type InProcessBridge } from "../../support/in-process-bridge.ts";
import { freePort } from "../../support/ports.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";

/** Fast PSU cycles so the capabilities (third cycle) come within a second. */
export const FAST_SIM: Partial<SimPsuOptions> = { cycleMs: 200, firstReadMs: 20, replyTimeoutMs: 2000 };

export function connectors(...globals: number[]) {
  return globals.map((g) => ({ global_connector_number: g, max_export_current_a: 80, max_export_power_w: 30000 }));
}

export async function startSim(opts: Partial<SimPsuOptions> = {}): Promise<SimulatedPsu> {
  const sim = new SimulatedPsu({ listen: { host: "127.0.0.1", port: await freePort() }, ...FAST_SIM, ...(process.env.TEST_LOG ? { log: createLogger({ level: "debug", json: false }) } : {}), ...opts });
  await sim.start();
  return sim;
}

export interface Rig {
  bridge: InProcessBridge;
  huawei: HuaweiRunning;
  probe: MqttProbe;
  base: string;
  /** Every log line the bridge wrote, for checks that a secret never appears. */
  logs: string[];
  request(id: string, action: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  set(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  state(id: string, pred?: (s: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

let seq = 0;

/** `units`: raw [[huawei]] tables. The plugin is started exactly as the bridge starts it. */
export async function rig(brokerUrl: string, units: Record<string, unknown>[]): Promise<Rig> {
  const base = `hw${Date.now().toString(36)}${seq++}`;
  const logs: string[] = [];
  // Debug level on purpose: even the most talkative log must never hold the HMAC key.
  const log = createLogger({ level: "debug", json: false, write: (line) => {
    logs.push(line);
    if (logs.length > 20_000) logs.splice(0, 10_000);
    if (process.env.TEST_LOG) process.stderr.write(line + "\n");
  } });
  let huawei: HuaweiRunning | undefined;
  // The same plugin, with a handle on what it started (the bridge only needs `stop`).
  const plugin: ProtocolPlugin = {
    ...huaweiPlugin,
    start: async (ctx, section) => (huawei = await startHuawei({ ...ctx, log }, huaweiConfigSchema.parse(section))),
  };
  // Subscribed first, so the start-up publication (null until known) is seen too.
  const probe = await MqttProbe.connect(brokerUrl, ["#"]);
  const bridge = await startInProcess(plugin, brokerUrl, { units }, { base });
  if (!huawei) throw new Error("the huawei plugin did not start");
  let tx = 0;
  const respond = async (topic: string, id: string, body: Record<string, unknown>) => {
    const transaction = `t${tx++}`;
    const since = probe.mark();
    await probe.publish(topic, { transaction, ...body });
    return probe.waitJson(`${base}/${id}/response`, (v) => v.transaction === transaction, 10_000, since);
  };
  return {
    bridge,
    huawei,
    probe,
    base,
    logs,
    request: (id, action, args = {}) => respond(`${base}/${id}/request`, id, { action, args }),
    set: (id, body) => respond(`${base}/${id}/set`, id, body),
    state: (id, pred = () => true, timeoutMs = 10_000) => probe.waitJson(`${base}/${id}`, pred, timeoutMs, 0),
    close: async () => {
      await probe.close();
      await bridge.stop();
    },
  };
}

export function unit(name: string, sim: { port: number }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, host: "127.0.0.1", port: sim.port, connectors: connectors(1), ...extra };
}
