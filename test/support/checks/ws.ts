// WebSocket servers through an adapter: decide() before the handshake, refusals as HTTP answers,
// messages both ways, and the limits (payload size, unread messages, unread bytes, missed pongs).
import net from "node:net";
import { WebSocket } from "ws";
import type { MessageLink } from "../../../lib/link.ts";
import { createLogger } from "../../../lib/log.ts";
import type { Sockets, WsServerOptions } from "../../../lib/sockets.ts";
import { until } from "../until.ts";
import { check, dec, enc, within } from "./util.ts";
import { openWs as open } from "../ws-open.ts";

type Base = Omit<WsServerOptions<null>, "host" | "port" | "decide" | "onConnection">;
const BASE: Base = { pingIntervalMs: 0, maxMissedPongs: 1, maxPayload: 1024 };


const closeCode = (ws: WebSocket) => new Promise<number>((r) => ws.once("close", (code) => r(code)));

/** A client that completes the handshake by hand, then reads nothing and answers nothing. */
async function deafClient(port: number): Promise<net.Socket> {
  const sock = net.connect({ host: "127.0.0.1", port });
  sock.on("error", () => {});
  await new Promise<void>((r) => sock.once("connect", () => r()));
  sock.write(["GET / HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "", ""].join("\r\n"));
  await new Promise((r) => sock.once("data", r));
  return sock;
}

export async function wsDecisions(s: Sockets): Promise<void> {
  const conns: MessageLink[] = [];
  const server = await s.listenWebSocket<string>({
    ...BASE,
    host: "127.0.0.1",
    port: 0,
    decide: (req) => {
      if (req.path.endsWith("/deny")) return { accept: false, status: 401, reason: "no", headers: { "WWW-Authenticate": "Basic" } };
      return { accept: true, protocol: req.offered.includes("p2") ? "p2" : null, context: `${req.path}?${req.query.get("x")}@${req.remoteAddress}` };
    },
    onConnection: (c, ctx) => {
      conns.push(c);
      const w = c.writable.getWriter();
      void c.readable.pipeTo(new WritableStream({ write: (m) => w.write(enc(`${ctx}:${dec(m)}`)) })).catch(() => {});
    },
  });
  try {
    const base = `ws://127.0.0.1:${server.port}`;
    const refused = await open(`${base}/a/deny`).then(() => "open", (e: Error) => e.message);
    check(refused === "HTTP 401 Basic", `refusal is an HTTP answer with its headers: ${refused}`);
    const ws = await open(`${base}/a/CP%201?x=1`, ["p1", "p2"]);
    check(ws.protocol === "p2", `agreed protocol: ${ws.protocol}`);
    const echoed = new Promise<string>((r) => ws.once("message", (d) => r(String(d))));
    ws.send("hello");
    const got = await within(echoed, 5000, "the answer");
    check(got === "/a/CP%201?1@127.0.0.1:hello", `answer: ${got}`);
    const none = await open(base);
    check(none.protocol === "", "no protocol when none was agreed");
    none.terminate();
    ws.close(4000, "bye");
    const info = await within(conns[0]?.closed ?? Promise.reject(new Error("no link")), 5000, "the link to close");
    check(info.code === 4000 && info.reason === "bye", `close code and reason reach the link: ${JSON.stringify(info)}`);
    const plain = await fetch(`http://127.0.0.1:${server.port}/`);
    check(plain.status === 426, `a plain request gets 426, got ${plain.status}`);
    await plain.body?.cancel();
  } finally {
    await server.close();
  }
}

export async function wsLimits(s: Sockets): Promise<void> {
  const conns: MessageLink[] = [];
  const warnings: string[] = [];
  const server = await s.listenWebSocket<null>({
    ...BASE,
    host: "127.0.0.1",
    port: 0,
    maxQueued: 20,
    maxBufferedBytes: 256 * 1024,
    log: createLogger({ level: "warn", json: false, write: (line) => void warnings.push(line) }),
    decide: () => ({ accept: true, protocol: null, context: null }),
    onConnection: (c) => void conns.push(c),
  });
  try {
    const url = `ws://127.0.0.1:${server.port}/`;
    // Too large a message: closed with 1009.
    const big = await open(url);
    const bigClosed = closeCode(big);
    big.send("x".repeat(2048));
    const code = await within(bigClosed, 5000, "the oversized message to close the socket");
    check(code === 1009, `oversized message closes with 1009, got ${code}`);
    // A flood nobody reads: closed with 1008 once maxQueued messages wait.
    const flood = await open(url);
    const floodClosed = closeCode(flood);
    for (let i = 0; i < 200 && flood.readyState === WebSocket.OPEN; i++) flood.send(`m${i}`);
    const fcode = await within(floodClosed, 5000, "the unread flood to close the socket");
    check(fcode === 1008, `an unread flood closes with 1008, got ${fcode}`);
    // A peer that reads nothing: our send buffer passes maxBufferedBytes, the socket is closed.
    const before = conns.length;
    const deaf = await deafClient(server.port);
    deaf.pause();
    await until(() => conns.length > before, "the deaf client's link");
    const conn = conns[before];
    check(conn !== undefined, "deaf link");
    const w = conn.writable.getWriter();
    const chunk = enc("y".repeat(64 * 1024));
    let sent = 0;
    try {
      for (; sent < 1024; sent++) await w.write(chunk);
    } catch {
      // refused once closing
    }
    check(sent < 1024, "writes to a peer that reads nothing are cut off");
    check(warnings.some((l) => l.includes("websocket peer does not read its messages, closing")), `the cut is logged: ${JSON.stringify(warnings)}`);
    const info = await within(conn.closed, 5000, "the deaf link to close");
    check(info.code === 1006 || info.code === 1008, `closed with 1008 or cut (1006), got ${info.code}`);
    deaf.destroy();
  } finally {
    await server.close();
  }
}

export async function wsPingDrop(s: Sockets): Promise<void> {
  const closed: number[] = [];
  const server = await s.listenWebSocket<null>({
    ...BASE,
    host: "127.0.0.1",
    port: 0,
    pingIntervalMs: 100,
    maxMissedPongs: 2,
    decide: () => ({ accept: true, protocol: null, context: null }),
    onConnection: (c) => void c.closed.then((i) => closed.push(i.code ?? -1)),
  });
  try {
    // A client that answers pings stays; one that ignores them is dropped.
    const good = await open(`ws://127.0.0.1:${server.port}/`);
    const deaf = await deafClient(server.port);
    const started = Date.now();
    deaf.on("data", () => {});
    await within(new Promise((r) => deaf.once("close", r)), 5000, "the silent client to be dropped");
    const took = Date.now() - started;
    check(took >= 150 && took < 3000, `dropped after ${took} ms (ping every 100 ms, 2 misses allowed)`);
    check(good.readyState === WebSocket.OPEN, "the client that answers pings is still connected");
    good.close();
  } finally {
    await server.close();
  }
}
