// The Dehne scenario's retained-command check: a command published retained is never executed
// live on an MQTT 5 broker, is recognised after a reconnect on a 3.1.1 one, and is cleared from the
// broker either way.
import { expect } from "bun:test";
import type { BridgeProcess } from "../support/bridge-process.ts";
import type { TestBroker } from "../support/broker.ts";
import { noticeOnce } from "../support/executables.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";
import { until } from "../support/until.ts";

type Json = Record<string, unknown>;

export interface RetainedContext {
  broker: TestBroker;
  bridge: BridgeProcess;
  probe: MqttProbe;
  base: string;
  id: string;
  /** Pings the charger received so far. */
  pings(): number;
  response(id: string, tx: unknown, since?: number): Promise<Json>;
}

export async function retainedCommandCheck(c: RetainedContext): Promise<void> {
  const { broker, bridge, probe, base, id, pings, response } = c;
  const t0 = probe.mark();
  if (broker.mqtt5) {
    const pingsBefore = pings();
    await probe.publish(`${base}/${id}/request`, { transaction: "retained-1", action: "ping" }, { retain: true });
    await until(() => bridge.log.includes("ignoring retained command"), "bridge saw the retained command", 5000);
    // Sentinel: a live ping sent after it is answered; the retained one never was.
    await probe.publish(`${base}/${id}/request`, { transaction: "live-1", action: "ping" });
    await response(id, "live-1", t0);
    expect(probe.messages.some((m) => m.seq >= t0 && m.topic === `${base}/${id}/response` && m.text.includes("retained-1"))).toBe(false);
    expect(pings()).toBe(pingsBefore + 1);
  } else {
    // A 3.1.1 broker (aedes) drops the retain flag on live delivery, so the bridge answers it then,
    // as the README says; it must recognise it when it subscribes again after a reconnect.
    noticeOnce("mqtt311", "test broker speaks MQTT 3.1.1 only: retained commands are checked after a reconnect; live recognition (MQTT 5) needs Mosquitto");
    await probe.publish(`${base}/${id}/request`, { transaction: "retained-1", action: "ping" }, { retain: true });
    await response(id, "retained-1", t0);
    const pingsBefore = pings();
    await broker.restart();
    await until(() => bridge.log.includes("ignoring retained command"), "bridge saw the retained command after reconnecting", 15_000);
    await probe.publish(`${base}/${id}/request`, { transaction: "live-1", action: "ping" });
    await response(id, "live-1", t0);
    expect(pings()).toBe(pingsBefore + 1);
  }
  // Cleared: a new subscriber gets no retained command, only what is published after it subscribed.
  await until(() => probe.messages.some((m) => m.seq >= t0 && m.topic === `${base}/${id}/request` && m.text === ""), "the bridge cleared the retained command", 5000);
  const fresh = await MqttProbe.connect(broker.url, [`${base}/${id}/request`]);
  await fresh.publish(`${base}/${id}/request`, { transaction: "sentinel", action: "ping" });
  await fresh.waitJson<Json>(`${base}/${id}/request`, (m) => m.transaction === "sentinel", 5000);
  expect(fresh.messages.map((m) => m.text)).toEqual([JSON.stringify({ transaction: "sentinel", action: "ping" })]);
  await fresh.close();
}
