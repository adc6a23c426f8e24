// End-to-end rig: the simulated controller on one end of a real pseudo-terminal pair (socat), the
// bridge in this process opening the other end as its serial device; without socat (or when a test
// asks for it) a loopback TCP port instead, the way ser2net carries a serial line. A real Mosquitto
// and a probe on both layouts. Tests drive the car through `host` and MQTT through `probe`.
import { hasSocat } from "../../support/pty-pair.ts";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keepDialing } from "../../../lib/dialer.ts";
import { silentLogger } from "../../../lib/log.ts";
import { openSerial } from "../../../lib/serial.ts";
import type { Listener } from "../../../lib/sockets.ts";
import { listenTcp } from "../../../lib/tcp.ts";
import { RAPI_BAUD } from "../../../protocols/openevse/port.ts";
import { openevsePlugin } from "../../../protocols/openevse/index.ts";
import { SimHost, type SimHostOptions } from "../../../protocols/openevse/sim/host.ts";
import { type InProcessBridge, startInProcess } from "../../support/in-process-bridge.ts";
import { MqttProbe, type Seen } from "../../support/mqtt-probe.ts";
import { until } from "../../support/until.ts";

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
  transport: Transport;
  /** The device vanishes (socat killed, or the TCP bridge closed) and comes back on the same path or port. */
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/** How the bridge reaches the simulated controller: a serial device (a pty pair) or a TCP bridge. */
export type Transport = "pty" | "tcp";


let told = false;
/** A pseudo-terminal where socat can make one; otherwise TCP, said once, for the same coverage. */
export function defaultTransport(): Transport {
  if (hasSocat()) return "pty";
  if (!told) console.log("socat not found: the OpenEVSE end-to-end tests run over TCP (the ser2net path) instead of a pseudo-terminal");
  told = true;
  return "tcp";
}

/**
 * A serial cable made of a pty pair: socat links two pseudo-terminals at `bridge` and `sim`.
 * Killing socat is a USB adapter pulled out: both devices vanish; `plug()` brings them back.
 */
class PtyCable {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "oe-pty-"));
  readonly bridge = join(this.dir, "ttyBridge");
  readonly sim = join(this.dir, "ttySim");

  async plug(): Promise<void> {
    const p = spawn("socat", [`PTY,link=${this.bridge},raw,echo=0`, `PTY,link=${this.sim},raw,echo=0`], { stdio: "ignore" });
    this.proc = p;
    await until(() => existsSync(this.bridge) && existsSync(this.sim), "socat's pty pair");
  }

  async unplug(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    // SIGTERM: socat removes its links, so no stale path points at a pty number reused later.
    p.kill("SIGTERM");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Text of a command line without sequence id and checksum: "$SC 16 V". */
export function plain(line: string): string {
  return line.replace(/[\^*][0-9A-Fa-f]{2}$/, "").replace(/ :[0-9A-Fa-f]{2}$/, "");
}

/** `prepare` runs on the simulated controller before the bridge starts (e.g. to silence it). */
/** `prepare` runs on the simulated controller before the bridge starts (e.g. to silence it). */
export async function rig(brokerUrl: string, controller: Json = {}, sim: SimHostOptions = {}, prepare: (host: SimHost) => void = () => {}, transport: Transport = defaultTransport()): Promise<Rig> {
  const host = new SimHost({ hwMaxA: 32, ...sim });
  prepare(host);
  let server: Listener | undefined;
  let port = 0;
  let cable: PtyCable | undefined;
  let simLine: ReturnType<typeof keepDialing> | undefined;
  if (transport === "tcp") {
    server = await listenTcp({ host: "127.0.0.1", port: 0 }, (link) => void host.attach(link));
    port = server.port;
  } else {
    cable = new PtyCable();
    await cable.plug();
    const simPath = cable.sim;
    // The simulator holds its end as a serial device too, and opens it again after a replug.
    simLine = keepDialing(() => openSerial({ path: simPath, baud: RAPI_BAUD }), (link) => host.attach(link), { backoff: { minMs: 20, maxMs: 200, stableMs: 0 }, log: silentLogger, what: "simulated controller's pty" });
    await until(() => host.connected, "the simulator on its end of the pty");
  }
  const device = cable ? cable.bridge : `tcp://127.0.0.1:${port}`;
  const base = `oe${process.pid}x${++counter}`;
  const b = `${base}_compat`;
  const probe = await MqttProbe.connect(brokerUrl, [`${base}/#`, `${b}/#`]);
  const bridge = await startInProcess(
    openevsePlugin,
    brokerUrl,
    { controllers: [{ name: ID, port: device, base_topic: b, announce_topic: `${b}/announce`, switch_min_interval_s: 2, heartbeat_interval_s: 2, ...controller }] },
    { base },
  );
  let tx = 0;
  const r: Rig = {
    host,
    bridge,
    probe,
    base,
    b,
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
    transport,
    unplug: async () => {
      if (cable) return cable.unplug();
      await server?.close();
      server = undefined;
    },
    replug: async () => {
      if (cable) return cable.plug();
      server = await listenTcp({ host: "127.0.0.1", port }, (link) => void host.attach(link));
    },
    close: async () => {
      await bridge.stop();
      await simLine?.stop();
      host.stop();
      await server?.close();
      await cable?.dispose();
      await probe.close();
    },
  };
  return r;
}
