// Bridge (real UDP on 127.0.0.1) + simulated chargers + real broker + MQTT probe, for e2e tests.

import dgram from "node:dgram";
import { silentLogger } from "../../../lib/log.ts";
import { evsemasterPlugin } from "../../../protocols/evsemaster/index.ts";
import type { SimCharger } from "../../../protocols/evsemaster/sim/charger.ts";
import { DEFAULT_FLEET, startFleet, type FleetOptions } from "../../../protocols/evsemaster/sim/fleet.ts";
import { startInProcess, type InProcessBridge } from "../../support/in-process-bridge.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";

export const TZ = "Europe/Amsterdam";

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** Fast timers so offline, session loss and back-off happen within a second or two. */
export const FAST = {
  bind: "127.0.0.1",
  time_zone: TZ,
  offline_after_s: 1,
  session_timeout_s: 2,
  login_timeout_s: 1,
  reply_timeout_s: 1.5,
  config_refresh_s: 60,
  relogin_min_s: 0.4,
  relogin_max_s: 3,
  cooldown_s: 0,
};

export interface Rig {
  bridge: InProcessBridge;
  probe: MqttProbe;
  sims: SimCharger[];
  base: string;
  port: number;
  request(id: string, action: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  set(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  detail(id: string, pred?: (d: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  state(id: string, pred?: (d: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

let seq = 0;

export async function rig(brokerUrl: string, section: Record<string, unknown>, fleet: Partial<FleetOptions>, opts: { stateDir?: string } = {}): Promise<Rig> {
  const port = await freeUdpPort();
  const base = `em${Date.now().toString(36)}${seq++}`;
  const bridge = await startInProcess(evsemasterPlugin, brokerUrl, { ...FAST, port, ...section }, { base, ...opts });
  const probe = await MqttProbe.connect(brokerUrl, [`${base}/#`]);
  const { chargers, running } = await startFleet(
    {
      ...DEFAULT_FLEET,
      target: { address: "127.0.0.1", port },
      bind: "127.0.0.1",
      beaconMs: 150,
      headingMs: 300,
      statusMs: 200,
      appTimeoutMs: 1500,
      timeZone: TZ,
      ...fleet,
    },
    silentLogger,
  );
  let tx = 0;
  const respond = async (topic: string, id: string, body: Record<string, unknown>, timeoutMs: number) => {
    const transaction = `t${tx++}`;
    const since = probe.mark();
    await probe.publish(topic, { transaction, ...body });
    return probe.waitJson(`${base}/${id}/response`, (v) => v.transaction === transaction, timeoutMs, since);
  };
  return {
    bridge,
    probe,
    sims: chargers,
    base,
    port,
    request: (id, action, args = {}, timeoutMs = 8000) => respond(`${base}/${id}/request`, id, { action, args }, timeoutMs),
    set: (id, body) => respond(`${base}/${id}/set`, id, body, 8000),
    detail: async (id, pred = () => true, timeoutMs = 8000) => {
      const since = probe.mark();
      const hit = [...probe.messages].reverse().find((m) => m.topic === `${base}/${id}/evsemaster`);
      if (hit && pred(JSON.parse(hit.text))) return JSON.parse(hit.text);
      return probe.waitJson(`${base}/${id}/evsemaster`, pred, timeoutMs, since);
    },
    state: async (id, pred = () => true, timeoutMs = 8000) => {
      const since = probe.mark();
      const hit = [...probe.messages].reverse().find((m) => m.topic === `${base}/${id}`);
      if (hit && pred(JSON.parse(hit.text))) return JSON.parse(hit.text);
      return probe.waitJson(`${base}/${id}`, pred, timeoutMs, since);
    },
    close: async () => {
      await running.stop();
      await bridge.stop();
      await probe.close();
    },
  };
}

/** bun's default is 5 s per test; these run a few seconds of real timers. */
export const E2E_TIMEOUT_MS = 30_000;

let sentinels = 0;

/**
 * Changes what `sim` beacons (its hotline) and waits until the bridge publishes it for `id`: every
 * beacon before has been handled by then, and whatever the bridge answered to them has been sent.
 * Only for a simulator that beacons, i.e. one the bridge is not logged in to.
 */
export async function beaconSentinel(r: Rig, sim: SimCharger, id: string): Promise<void> {
  const hotline = `SENTINEL-${sentinels++}`;
  sim.opts.model = { ...sim.opts.model, info: { ...sim.opts.model.info, hotline } };
  await r.detail(id, (d) => (d.info as { hotline?: unknown } | null)?.hotline === hotline);
}
