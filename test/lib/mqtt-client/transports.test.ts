// The bridge's MQTT link over every transport it offers besides plain mqtt://: mqtts:// to a real
// Mosquitto with a CA and a client certificate made here by openssl (a wrong CA is refused and
// said so), and ws:// to a real broker (aedes behind a `ws` server: this Mosquitto build has no
// WebSocket listener), which also takes the MQTT 5 → 3.1.1 fallback.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";
import { createLogger } from "../../../lib/log.ts";
import { MqttLink, type MqttSettings } from "../../../lib/mqtt.ts";
import { freePort } from "../../support/mosquitto.ts";
import { MqttProbe } from "../../support/mqtt-probe.ts";
import { until } from "../../support/until.ts";

setDefaultTimeout(30_000);
const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-mqtt-tls-"));
const cleanup: (() => Promise<unknown> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA, a server certificate for 127.0.0.1 signed by it, a client certificate, and a CA nobody used. */
function makeCertificates(): void {
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA");
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "2", "-subj", "/CN=other CA");
  for (const [name, cn, ext] of [["server", "127.0.0.1", ["-extfile", "san.ext"]], ["client", "bridge", []]] as const) {
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", ...ext);
  }
}

/** Mosquitto with a plain listener (for the probe) and a TLS listener that wants a client certificate. */
async function tlsMosquitto(): Promise<{ plain: number; tls: number }> {
  const plain = await freePort();
  const tls = await freePort();
  writeFileSync(
    join(dir, "mosquitto.conf"),
    [
      `listener ${plain} 127.0.0.1`,
      "allow_anonymous true",
      `listener ${tls} 127.0.0.1`,
      `cafile ${join(dir, "ca.crt")}`,
      `certfile ${join(dir, "server.crt")}`,
      `keyfile ${join(dir, "server.key")}`,
      "require_certificate true",
      "allow_anonymous true",
      "user root",
      "log_dest none",
      "",
    ].join("\n"),
  );
  const proc = spawn("/usr/sbin/mosquitto", ["-c", join(dir, "mosquitto.conf")], { stdio: "ignore" });
  cleanup.push(() => void proc.kill("SIGKILL"));
  // Ready once the probe gets in on the plain listener.
  for (let i = 0; i < 100; i++) {
    const ok = await MqttProbe.connect(`mqtt://127.0.0.1:${plain}`, ["x"]).then(
      (p) => p.close().then(() => true),
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { plain, tls };
}

function link(settings: Partial<MqttSettings> & { url: string; base_topic: string }, lines: string[]): MqttLink {
  return new MqttLink(
    { client_id: settings.base_topic, reject_unauthorized: true, queue_limit: 100, keepalive_s: 10, reconnect_min_s: 0.1, reconnect_max_s: 0.5, ...settings },
    createLogger({ level: "info", json: false, write: (l) => lines.push(l) }),
    () => ({ info: "{}" }),
  );
}

test("mqtt:// with a client certificate goes over TLS, verifies the broker against the CA, and works both ways", async () => {
  makeCertificates();
  const ports = await tlsMosquitto();
  const probe = await MqttProbe.connect(`mqtt://127.0.0.1:${ports.plain}`, ["tls/#"]);
  cleanup.push(() => probe.close());
  const lines: string[] = [];
  // mqtt://, not mqtts://: a configured client certificate means TLS, as it always has.
  const l = link({ url: `mqtt://127.0.0.1:${ports.tls}`, base_topic: "tls", ca: join(dir, "ca.crt"), cert: join(dir, "client.crt"), key: join(dir, "client.key") }, lines);
  const got: string[] = [];
  l.subscribe("tls/cmd", (_t, p) => got.push(new TextDecoder().decode(p)));
  await l.start(10_000);
  cleanup.push(() => l.close());
  expect(lines.some((x) => x.includes("mqtt connected") && x.includes("mqtt_version=5"))).toBe(true);
  expect((await probe.wait("tls/bridge/state")).text).toBe("online");
  l.publish("tls/ev", "over tls");
  expect((await probe.wait("tls/ev")).text).toBe("over tls");
  await probe.publish("tls/cmd", "hello");
  await until(() => got.includes("hello"), "command received over TLS");
});

test("a broker whose certificate the configured CA did not sign is refused, with the reason logged", async () => {
  const ports = await tlsMosquitto();
  const lines: string[] = [];
  const l = link({ url: `mqtts://127.0.0.1:${ports.tls}`, base_topic: "badca", ca: join(dir, "other.crt"), cert: join(dir, "client.crt"), key: join(dir, "client.key") }, lines);
  void l.start();
  cleanup.push(() => l.close());
  await until(() => lines.some((x) => x.includes("mqtt error")), "the TLS failure logged", 10_000);
  expect(l.connected).toBe(false);
  expect(lines.some((x) => x.includes("mqtt connected"))).toBe(false);
});

test("ws:// to a broker behind a WebSocket server (3.1.1 only): falls back, publishes, receives commands", async () => {
  const broker = await Aedes.createBroker();
  const port = await freePort();
  const wss = new WebSocketServer({ host: "127.0.0.1", port, path: "/mqtt" });
  wss.on("connection", (ws) => broker.handle(createWebSocketStream(ws)));
  cleanup.push(() => new Promise<void>((r) => wss.close(() => broker.close(() => r()))));
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const lines: string[] = [];
  const l = link({ url: `ws://127.0.0.1:${port}/mqtt`, base_topic: "wsb" }, lines);
  const got: string[] = [];
  l.subscribe("wsb/cmd", (_t, p) => got.push(new TextDecoder().decode(p)));
  const published: string[] = [];
  broker.on("publish", (packet) => {
    if (packet.topic.startsWith("wsb/")) published.push(`${packet.topic}=${packet.payload.toString()}`);
  });
  await l.start(10_000);
  cleanup.push(() => l.close());
  expect(lines.some((x) => x.includes("speaks MQTT 3.1.1 only"))).toBe(true);
  // A payload larger than one WebSocket frame of the other messages, so packets span messages either way.
  const big = "x".repeat(200_000);
  l.publish("wsb/big", big);
  await until(() => published.includes(`wsb/big=${big}`), "the big publish reached the broker");
  expect(published).toContain("wsb/bridge/state=online");
  await new Promise<void>((resolve, reject) => broker.publish({ cmd: "publish", topic: "wsb/cmd", payload: Buffer.from("hi"), qos: 1, retain: false, dup: false, messageId: 1 }, (err) => (err ? reject(err) : resolve())));
  await until(() => got.includes("hi"), "command received over ws://");
});
