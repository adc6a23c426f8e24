// End-to-end rig: the simulated controller on a real loopback TCP port (the way ser2net carries a
// serial line), the bridge in this process dialling it, a real Mosquitto, and a probe on both
// layouts. Tests drive the car through `host` and MQTT through `probe`.
import type { Listener } from "../../../lib/sockets.ts";
import { listenTcp } from "../../../lib/tcp.ts";
import { openevsePlugin } from "../../../protocols/openevse/index.ts";
import { SimHost, type SimHostOptions } from "../../../protocols/openevse/sim/host.ts";
import { type InProcessBridge, startInProcess } from "../../support/in-process-bridge.ts";
import { MqttProbe, type Seen } from "../../support/mqtt-probe.ts";

export const E2E_TIMEOUT_MS = 30_000;
export const ID = "garage";

type Json = Record<string, unknown>;

export interface Rig {
  host: SimHost;
  bridge: InProcessBridge;
  probe: MqttProbe;
  /** Normalized base. */
  base: string;
  /** Compatible layout base `<b>`. */
  b: string;
  port: number;
  /** The latest normalized state matching `pred` (waits for it). */
  state(pred?: (s: Json) => boolean, since?: number, timeoutMs?: number): Promise<Json>;
  /** A compatible-layout value `<b>/<sub>` matching `pred`. */
  value(sub: string, pred?: (v: string) => boolean, since?: number, timeoutMs?: number): Promise<string>;
  /** `/request` and its response. */
  request(action: string, args?: Json): Promise<Json>;
  set(cmd: Json): Promise<Json>;
  /** Publishes on `<b>/<sub>`. */
  compat(sub: string, payload: string): Promise<void>;
  /** The next error reported for a compatible command topic. */
  compatError(since: number): Promise<Json>;
  /** Commands the simulated controller received after mark `from`, e.g. "$SC 16 V". */
  sent(from?: number): string[];
  /** Stops the TCP listener (the device vanishes) and starts it again on the same port. */
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/** Text of a command line without sequence id and checksum: "$SC 16 V". */
export function plain(line: string): string {
  return line.replace(/[\^*][0-9A-Fa-f]{2}$/, "").replace(/ :[0-9A-Fa-f]{2}$/, "");
}

/** `prepare` runs on the simulated controller before the bridge starts (e.g. to silence it). */
export async function rig(brokerUrl: string, controller: Json = {}, sim: SimHostOptions = {}, prepare: (host: SimHost) => void = () => {}): Promise<Rig> {
  const host = new SimHost({ hwMaxA: 32, ...sim });
  prepare(host);
  let server: Listener | undefined = await listenTcp({ host: "127.0.0.1", port: 0 }, (link) => void host.attach(link));
  const port = server.port;
  const base = `oe${process.pid}x${++counter}`;
  const b = `${base}_compat`;
  const probe = await MqttProbe.connect(brokerUrl, [`${base}/#`, `${b}/#`]);
  const bridge = await startInProcess(
    openevsePlugin,
    brokerUrl,
    { controllers: [{ name: ID, port: `tcp://127.0.0.1:${port}`, base_topic: b, announce_topic: `${b}/announce`, switch_min_interval_s: 2, heartbeat_interval_s: 2, ...controller }] },
    { base },
  );
  let tx = 0;
  const r: Rig = {
    host,
    bridge,
    probe,
    base,
    b,
    port,
    state: (pred = () => true, since = 0, timeoutMs = 10_000) => probe.waitJson<Json>(`${base}/${ID}`, pred, timeoutMs, since),
    value: async (sub, pred = () => true, since = 0, timeoutMs = 10_000) => (await probe.wait(`${b}/${sub}`, (m: Seen) => pred(m.text), timeoutMs, since)).text,
    request: async (action, args) => {
      const t = `t${++tx}`;
      const since = probe.mark();
      await probe.publish(`${base}/${ID}/request`, { transaction: t, action, ...(args ? { args } : {}) });
      return probe.waitJson<Json>(`${base}/${ID}/response`, (x) => x.transaction === t, 10_000, since);
    },
    set: async (cmd) => {
      const t = `s${++tx}`;
      const since = probe.mark();
      await probe.publish(`${base}/${ID}/set`, { transaction: t, ...cmd });
      return probe.waitJson<Json>(`${base}/${ID}/response`, (x) => x.transaction === t, 10_000, since);
    },
    compat: async (sub, payload) => {
      await probe.publish(`${b}/${sub}`, payload);
    },
    compatError: (since) => probe.waitJson<Json>(`${base}/${ID}/response`, (x) => x.status === "error" && typeof x.source === "string", 10_000, since),
    sent: (from = 0) => host.received.slice(from).map(plain),
    unplug: async () => {
      await server?.close();
      server = undefined;
    },
    replug: async () => {
      server = await listenTcp({ host: "127.0.0.1", port }, (link) => void host.attach(link));
    },
    close: async () => {
      await bridge.stop();
      host.stop();
      await server?.close();
      await probe.close();
    },
  };
  return r;
}
