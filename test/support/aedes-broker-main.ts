// The stand-in test broker's process: aedes on 127.0.0.1:<port>, persisting into <dir>.
// Run as `<runtime> aedes-broker-main.ts <port> <dir>`; SIGTERM writes the state and exits 0.
import net from "node:net";
import { join } from "node:path";
import { Aedes } from "aedes";
import { FilePersistence } from "./file-persistence.ts";

const [portArg, dir] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !dir) {
  process.stderr.write(`usage: aedes-broker-main.ts <port> <dir> (got ${JSON.stringify(process.argv.slice(2))})\n`);
  process.exit(2);
}

const persistence = new FilePersistence(join(dir, "aedes-state.json"));
const broker = await Aedes.createBroker({ persistence });
// Mosquitto queues a new subscription's retained messages before it reads the subscriber's next
// packet; aedes streams them after the SUBACK, one event-loop turn each, so a sentinel published
// right after subscribing could arrive first. Here they are handed over at once, in order.
broker.on("subscribe", (subs, client) => {
  const granted = subs.filter((sub) => {
    const qos: number = sub.qos;
    return qos !== 128; // refused
  });
  if (granted.length === 0) return; // aedes asks for no retained messages then
  persistence.skipNextRetainedQuery();
  for (const p of persistence.retainedFor(granted.map((sub) => sub.topic))) {
    const qos = p.qos === 2 ? 2 : p.qos === 1 ? 1 : 0;
    client.publish({ cmd: "publish", topic: p.topic, payload: p.payload, qos, retain: true, dup: false }, () => {});
  }
});

const server = net.createServer(broker.handle);
const sockets = new Set<net.Socket>();
server.on("connection", (s) => {
  sockets.add(s);
  s.once("close", () => sockets.delete(s));
});
server.once("error", (err) => {
  process.stderr.write(`aedes test broker cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(1);
});
server.listen({ host: "127.0.0.1", port });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Written before the clients go, as Mosquitto saves its database on SIGTERM.
  persistence.flush();
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
