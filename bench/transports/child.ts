// One side of a transport bench, run under the runtime being measured:
//   child.ts server <tcp|udp|ws|http> <native|node>
//   child.ts client <tcp|udp|ws|http> <native|node> <port>
//   child.ts client serial <native|node>          (both ends of a pty pair in the one child)
// It answers the parent (bench/transports/harness.ts) in JSON lines: one command per stdin line,
// one answer per stdout line. A server prints {"port"} once it listens.
import { collect, type Kind, loadAdapter, sleep } from "./adapters.ts";
import { httpClient, httpServer } from "./child-http.ts";
import { serialClient } from "./child-serial.ts";
import { tcpClient, tcpServer } from "./child-tcp.ts";
import { udpClient, udpServer } from "./child-udp.ts";
import { wsClient, wsServer } from "./child-ws.ts";

type Answer = Record<string, number | string>;
type Handler = (cmd: Record<string, number | string>) => Promise<Answer>;

const [role, transport, kindArg, portArg] = process.argv.slice(2);
const kind: Kind = kindArg === "node" ? "node" : "native";
const num = (v: number | string | undefined, d: number) => (typeof v === "number" ? v : d);
/** Run before the child leaves, even after a failed start (a pty relay must not outlive us). */
const cleanups: (() => Promise<void>)[] = [];
const leave = async (code: number) => {
  await Promise.all(cleanups.map((c) => c().catch(() => {})));
  process.exit(code);
};

async function start(): Promise<Handler> {
  const a = await loadAdapter(kind);
  const gc = async () => {
    collect();
    await sleep(200);
    collect();
    return { gc: 1 };
  };
  if (role === "server") {
    const s: { port: number; heard?: () => number } = transport === "tcp" ? await tcpServer(a) : transport === "udp" ? await udpServer(a) : transport === "ws" ? await wsServer(a) : await httpServer(a);
    const heard = s.heard ?? (() => 0);
    console.log(JSON.stringify({ port: s.port }));
    return async (cmd) => (cmd.cmd === "gc" ? gc() : { heard: heard() });
  }
  const port = Number(portArg);
  const c = transport === "serial" ? await serialClient(a, cleanups) : transport === "tcp" ? tcpClient(a, port) : transport === "udp" ? udpClient(a, port) : transport === "ws" ? wsClient(port) : httpClient(port);
  return async (cmd) => {
    const n = num(cmd.n, 0);
    switch (cmd.cmd) {
      case "latency":
        return c.latency(n);
      case "throughput":
        return c.throughput(num(cmd.conns, 8), num(cmd.ms, 2000), num(cmd.window, 64));
      case "idle":
        if ("idle" in c && typeof c.idle === "function") return c.idle(n);
        break;
      case "closeIdle":
        if ("closeIdle" in c && typeof c.closeIdle === "function") return c.closeIdle();
        break;
      case "burst":
        if ("burst" in c && typeof c.burst === "function") return c.burst(n);
        break;
      case "gc":
        return gc();
    }
    return { error: `unknown command ${String(cmd.cmd)}` };
  };
}

let handle: Handler;
try {
  handle = await start();
} catch (err) {
  console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
  await leave(1);
  throw err;
}
let buffered = "";
let queue = Promise.resolve();
process.stdin.on("data", (b: Buffer) => {
  buffered += b.toString();
  for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    if (line.trim() === "") continue;
    queue = queue.then(async () => {
      try {
        console.log(JSON.stringify(await handle(JSON.parse(line))));
      } catch (err) {
        console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
      }
    });
  }
});
process.stdin.on("end", () => void leave(0));
