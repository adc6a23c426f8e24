// The MQTT client against a scripted broker on a real loopback socket (packets parsed with
// mqtt-packet): unacknowledged QoS 1 publishes go out again, marked DUP and first, on the next
// connection; a broker that stops answering PINGREQ is left and reconnected to; the connect
// timeout ends a connection that never gets its CONNACK.
import { afterAll, expect, test } from "bun:test";
import net from "node:net";
import mqttPacket from "mqtt-packet";
import { MqttClient, type ClientEvents } from "../../../lib/mqtt-client/client.ts";
import { parseBrokerUrl } from "../../../lib/mqtt-client/transport.ts";
import { until } from "../../support/until.ts";

const servers: net.Server[] = [];
const clients: MqttClient[] = [];
afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const s of servers) await new Promise((r) => s.close(r));
});

interface Seen {
  conn: number;
  packet: mqttPacket.Packet;
}

/** A broker whose reply to each packet is decided by `reply` (undefined: no answer). */
async function scripted(reply: (p: mqttPacket.Packet, conn: number, socket: net.Socket) => Buffer | undefined): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  let conns = 0;
  const server = net.createServer((socket) => {
    const conn = ++conns;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on("packet", (packet) => {
      seen.push({ conn, packet });
      const out = reply(packet, conn, socket);
      if (out && !socket.destroyed) socket.write(out);
    });
    socket.on("data", (d: Buffer) => parser.parse(d));
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return { port: typeof addr === "object" && addr ? addr.port : 0, seen };
}

const connack = () => mqttPacket.generate({ cmd: "connack", reasonCode: 0, sessionPresent: false }, { protocolVersion: 5 });

function client(port: number, keepaliveS: number, events: Partial<ClientEvents> = {}, connectTimeoutMs = 5000): MqttClient {
  const c = new MqttClient(
    { broker: parseBrokerUrl(`mqtt://127.0.0.1:${port}`), clientId: "t", version: 5, clean: true, keepaliveS, connectTimeoutMs, tls: {} },
    { connect() {}, close() {}, offline() {}, error() {}, message() {}, ...events },
    50,
  );
  clients.push(c);
  c.start();
  return c;
}

test("QoS 1 publishes unacknowledged when the connection drops are sent again first, with DUP, and acknowledged then", async () => {
  const b = await scripted((p, conn, socket) => {
    if (p.cmd === "connect") return connack();
    // First connection: take two publishes, acknowledge none, hang up.
    if (p.cmd === "publish" && conn === 1 && p.topic === "b") socket.destroy();
    if (p.cmd === "publish" && conn > 1) return mqttPacket.generate({ cmd: "puback", messageId: p.messageId ?? 0 }, { protocolVersion: 5 });
    return undefined;
  });
  const done: string[] = [];
  let connects = 0;
  const c = client(b.port, 0, {
    connect: () => {
      connects++;
      if (connects === 2) c.publish("c", new TextEncoder().encode("3"), { qos: 1, retain: false }, () => done.push("c"));
    },
  });
  await until(() => c.connected, "first connect");
  c.publish("a", new TextEncoder().encode("1"), { qos: 1, retain: false }, (err) => done.push(err ? "a failed" : "a"));
  c.publish("b", new TextEncoder().encode("2"), { qos: 1, retain: true }, (err) => done.push(err ? "b failed" : "b"));
  await until(() => done.length === 3, "all three acknowledged", 5000);
  const second = b.seen.filter((s) => s.conn === 2 && s.packet.cmd === "publish").map((s) => s.packet as mqttPacket.IPublishPacket);
  expect(second.map((p) => [p.topic, p.dup, p.retain, p.payload.toString()])).toEqual([
    ["a", true, false, "1"],
    ["b", true, true, "2"],
    ["c", false, false, "3"],
  ]);
  expect(done).toEqual(["a", "b", "c"]);
});

test("a broker that stops answering PINGREQ is left after half a keepalive more, and connected to again", async () => {
  const b = await scripted((p, conn) => {
    if (p.cmd === "connect") return connack();
    if (p.cmd === "pingreq" && conn > 1) return mqttPacket.generate({ cmd: "pingresp" });
    return undefined;
  });
  let closes = 0;
  const t0 = Date.now();
  const c = client(b.port, 1, { close: () => closes++ });
  await until(() => closes === 1, "the silent connection given up", 5000);
  // A PINGREQ after one keepalive of silence, the link dropped half a keepalive later.
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
  expect(b.seen.filter((s) => s.conn === 1).map((s) => s.packet.cmd)).toEqual(["connect", "pingreq"]);
  await until(() => c.connected && b.seen.some((s) => s.conn === 2 && s.packet.cmd === "pingreq"), "pinging the second connection", 5000);
  // Answered pings keep it.
  await until(() => b.seen.filter((s) => s.conn === 2 && s.packet.cmd === "pingreq").length >= 2, "a second answered ping", 5000);
  expect(closes).toBe(1);
});

test("no CONNACK within the connect timeout: the connection is dropped and tried again", async () => {
  const b = await scripted(() => undefined);
  let closes = 0;
  client(b.port, 0, { close: () => closes++ }, 300);
  await until(() => closes >= 2, "two attempts timed out", 5000);
  expect(b.seen.filter((s) => s.packet.cmd === "connect").length).toBeGreaterThanOrEqual(2);
});

test("end(false) waits for the acknowledgements, then sends DISCONNECT; no event after it", async () => {
  let release: (() => void) | undefined;
  const b = await scripted((p, _conn, socket) => {
    if (p.cmd === "connect") return connack();
    if (p.cmd === "publish") release = () => socket.write(mqttPacket.generate({ cmd: "puback", messageId: p.messageId ?? 0 }, { protocolVersion: 5 }));
    return undefined;
  });
  let closes = 0;
  const c = client(b.port, 0, { close: () => closes++ });
  await until(() => c.connected, "connected");
  let acked = false;
  c.publish("x", new Uint8Array([1]), { qos: 1, retain: false }, () => (acked = true));
  let ended = false;
  c.end(false, () => (ended = true));
  await until(() => release !== undefined, "publish seen");
  // Sentinel: nothing but the publish has gone out while it is unacknowledged.
  expect(b.seen.map((s) => s.packet.cmd)).toEqual(["connect", "publish"]);
  release?.();
  await until(() => ended, "end completed");
  expect(acked).toBe(true);
  // Sent is not yet read by the broker: wait for its third packet (whatever it is) before comparing.
  await until(() => b.seen.length >= 3, "a third packet at the broker");
  expect(b.seen.map((s) => s.packet.cmd)).toEqual(["connect", "publish", "disconnect"]);
  expect(closes).toBe(0);
});

test("a QoS 1 publish made before the first CONNACK goes out once it comes, without DUP (it was never sent)", async () => {
  const b = await scripted((p) => {
    if (p.cmd === "connect") return connack();
    if (p.cmd === "publish") return mqttPacket.generate({ cmd: "puback", messageId: p.messageId ?? 0 }, { protocolVersion: 5 });
    return undefined;
  });
  const c = client(b.port, 0);
  let acked = false;
  c.publish("early", new Uint8Array([7]), { qos: 1, retain: false }, (err) => (acked = err === undefined));
  await until(() => acked, "the early publish acknowledged");
  const pubs = b.seen.filter((s) => s.packet.cmd === "publish").map((s) => s.packet as mqttPacket.IPublishPacket);
  expect(pubs.map((p) => [p.topic, p.dup])).toEqual([["early", false]]);
});
