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
