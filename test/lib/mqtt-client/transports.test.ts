// The bridge's MQTT link over every transport it offers besides plain mqtt://, to a real broker
// (aedes, which runs wherever the tests do, behind node:tls or a `ws` server; it speaks 3.1.1, so
// the MQTT 5 → 3.1.1 fallback is taken each time): mqtts:// with a CA and a client certificate
// made here by openssl (a wrong CA is refused and said so), and ws://.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";
import { createLogger } from "../../../lib/log.ts";
import { MqttLink } from "../../../lib/mqtt.ts";
import type { MqttSettings } from "../../../lib/mqtt-types.ts";
import { freePort } from "../../support/ports.ts";
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

interface Seen {
  topics: string[];
  command(topic: string, text: string): Promise<void>;
}

/** A real broker (aedes) behind `listen`, recording what is published to it and able to publish. */
async function aedesBehind(listen: (handle: (stream: Duplex) => void) => Promise<() => Promise<void>>): Promise<Seen> {
  const broker = await Aedes.createBroker();
  const topics: string[] = [];
  broker.on("publish", (packet) => {
    if (!packet.topic.startsWith("$SYS")) topics.push(`${packet.topic}=${packet.payload.toString()}`);
  });
  const close = await listen((stream) => broker.handle(stream));
  cleanup.push(() => close().then(() => new Promise<void>((r) => broker.close(() => r()))));
  return {
    topics,
    command: (topic, text) =>
      new Promise<void>((resolve, reject) =>
        broker.publish({ cmd: "publish", topic, payload: Buffer.from(text), qos: 1, retain: false, dup: false, messageId: 1 }, (err) => (err ? reject(err) : resolve())),
      ),
  };
}

/** TLS that wants a client certificate signed by the test CA, on a free port. */
async function tlsBroker(): Promise<{ port: number; seen: Seen }> {
  const port = await freePort();
  const seen = await aedesBehind(async (handle) => {
    const server = tls.createServer(
      { cert: readFileSync(join(dir, "server.crt")), key: readFileSync(join(dir, "server.key")), ca: readFileSync(join(dir, "ca.crt")), requestCert: true, rejectUnauthorized: true },
      handle,
    );
    server.on("tlsClientError", () => {});
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    return () => new Promise<void>((r) => server.close(() => r()));
  });
  return { port, seen };
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
  const b = await tlsBroker();
  const lines: string[] = [];
  // mqtt://, not mqtts://: a configured client certificate means TLS, as it always has.
  const l = link({ url: `mqtt://127.0.0.1:${b.port}`, base_topic: "tls", ca: join(dir, "ca.crt"), cert: join(dir, "client.crt"), key: join(dir, "client.key") }, lines);
  const got: string[] = [];
  l.subscribe("tls/cmd", (_t, p) => got.push(new TextDecoder().decode(p)));
  await l.start(10_000);
  cleanup.push(() => l.close());
  expect(lines.some((x) => x.includes("mqtt connected"))).toBe(true);
  await until(() => b.seen.topics.includes("tls/bridge/state=online"), "online over TLS");
  l.publish("tls/ev", "over tls");
  await until(() => b.seen.topics.includes("tls/ev=over tls"), "a publish over TLS");
  await b.seen.command("tls/cmd", "hello");
  await until(() => got.includes("hello"), "command received over TLS");
});

test("a broker whose certificate the configured CA did not sign is refused, with the reason logged", async () => {
  const b = await tlsBroker();
  const lines: string[] = [];
  const l = link({ url: `mqtts://127.0.0.1:${b.port}`, base_topic: "badca", ca: join(dir, "other.crt"), cert: join(dir, "client.crt"), key: join(dir, "client.key") }, lines);
  void l.start();
  cleanup.push(() => l.close());
  await until(() => lines.some((x) => x.includes("mqtt error") && /certificate/i.test(x)), "the TLS failure logged", 10_000);
  expect(l.connected).toBe(false);
  expect(lines.some((x) => x.includes("mqtt connected"))).toBe(false);
  expect(b.seen.topics).toEqual([]);
});

test("ws:// to a broker behind a WebSocket server (3.1.1 only): falls back, publishes, receives commands", async () => {
  const port = await freePort();
  const b = await aedesBehind(async (handle) => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port, path: "/mqtt" });
    wss.on("connection", (ws) => handle(createWebSocketStream(ws)));
    await new Promise<void>((r) => wss.once("listening", () => r()));
    return () => new Promise<void>((r) => wss.close(() => r()));
  });
  const lines: string[] = [];
  const l = link({ url: `ws://127.0.0.1:${port}/mqtt`, base_topic: "wsb" }, lines);
  const got: string[] = [];
  l.subscribe("wsb/cmd", (_t, p) => got.push(new TextDecoder().decode(p)));
  await l.start(10_000);
  cleanup.push(() => l.close());
  expect(lines.some((x) => x.includes("speaks MQTT 3.1.1 only"))).toBe(true);
  // A payload far larger than the other messages, so packets span WebSocket messages either way.
  const big = "x".repeat(200_000);
  l.publish("wsb/big", big);
  await until(() => b.topics.includes(`wsb/big=${big}`), "the big publish reached the broker");
  expect(b.topics).toContain("wsb/bridge/state=online");
  await b.command("wsb/cmd", "hi");
  await until(() => got.includes("hi"), "command received over ws://");
});
