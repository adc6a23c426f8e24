// A WebSocket server over node:http(s) and `ws`. The upgrade is decided before the handshake, so
// refusals are plain HTTP answers (400/401/404/409/503).
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { errorMessage } from "../errors.ts";
import { type CloseInfo, formatHostPort, LinkError, type MessageLink } from "../link.ts";
import type { Listener, UpgradeDecision, UpgradeRequest, WsServerOptions } from "../sockets.ts";

function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = reason + "\n";
  const lines = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(lines.join("\r\n") + "\r\n\r\n" + body);
  setTimeout(() => socket.destroy(), 1000).unref?.();
}

export function offeredProtocols(h: string | null | undefined): string[] {
  return h ? h.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : [];
}

function rawBytes(d: RawData): Uint8Array {
  const b = Array.isArray(d) ? Buffer.concat(d) : d instanceof ArrayBuffer ? new Uint8Array(d) : d;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function toHeaders(h: IncomingMessage["headers"]): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.append(k, x);
  }
  return out;
}

const decoder = new TextDecoder();

function wrap<C>(ws: WebSocket, remote: string, opts: WsServerOptions<C>): MessageLink {
  const maxQueued = opts.maxQueued ?? 1000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  let missed = 0;
  let readClosed = false;
  let finish: () => void = () => {};
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.once("close", (code, reason) => {
      clearInterval(pinger);
      finish();
      resolve({ code, reason: reason.toString() });
    });
  });
  // Errors surface as close; an unhandled 'error' event would crash the process.
  ws.on("error", () => {});
  ws.on("pong", () => {
    missed = 0;
  });
  const pinger = opts.pingIntervalMs > 0
    ? setInterval(() => {
        if (missed >= opts.maxMissedPongs) {
          ws.terminate();
          return;
        }
        missed++;
        try {
          ws.ping();
        } catch {
          // closing anyway
        }
      }, opts.pingIntervalMs)
    : undefined;
  const close = (reason = "", code = 1000) => {
    if (ws.readyState === WebSocket.CLOSED) return;
    ws.close(code, reason);
    // A peer that never completes the closing handshake must not keep the socket forever.
    setTimeout(() => ws.terminate(), 2000).unref?.();
  };
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      finish = () => {
        if (readClosed) return;
        readClosed = true;
        try {
          controller.close();
        } catch {
          // cancelled already
        }
      };
      ws.on("message", (data) => {
        if (readClosed) return;
        if (-(controller.desiredSize ?? 0) >= maxQueued) {
          close("too many unprocessed messages", 1008);
          return;
        }
        controller.enqueue(rawBytes(data));
      });
    },
    cancel() {
      readClosed = true;
      close();
    },
  }, { highWaterMark: 0 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (ws.readyState !== WebSocket.OPEN) throw new LinkError(`${remote}: websocket is not open`);
      ws.send(decoder.decode(chunk));
      // A peer that sends but never reads would otherwise grow our send buffer without bound.
      if (ws.bufferedAmount > maxBuffered) {
        opts.log?.warn("websocket peer does not read its messages, closing", { remote, buffered_bytes: ws.bufferedAmount, limit: maxBuffered });
        close("peer does not read", 1008);
      }
    },
  });
  return { protocol: ws.protocol, remote, readable, writable, closed, close };
}

export function listenWebSocket<C>(opts: WsServerOptions<C>): Promise<Listener & { readonly secure: boolean }> {
  const chosen = new WeakMap<IncomingMessage, string | false>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload,
    handleProtocols: (_offered, req) => chosen.get(req) ?? false,
  });
  const onRequest = (_req: IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket" });
    res.end("WebSocket upgrade required\n");
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  const sockets = new Set<Duplex>();
  server.on("connection", (s: Duplex) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.on("clientError", (_err, socket: Duplex) => socket.destroy());
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const remoteAddress = (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
      const headers = toHeaders(req.headers);
      const upgrade: UpgradeRequest = {
        path: (req.url ?? "/").split("?")[0] ?? "/",
        query: url.searchParams,
        headers,
        remoteAddress,
        offered: offeredProtocols(headers.get("sec-websocket-protocol")),
      };
      let d: UpgradeDecision<C>;
      try {
        d = await opts.decide(upgrade);
      } catch (err) {
        refuse(socket, 500, errorMessage(err));
        return;
      }
      if (!d.accept) {
        refuse(socket, d.status, d.reason, d.headers);
        return;
      }
      const decision = d;
      chosen.set(req, decision.protocol ?? false);
      wss.handleUpgrade(req, socket, head, (ws) => {
        opts.onConnection(wrap(ws, formatHostPort(remoteAddress, req.socket.remotePort ?? 0), opts), decision.context);
      });
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: ${err.message}`)));
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.removeAllListeners("error");
      server.on("error", () => {});
      const addr = server.address();
      resolve({
        host: opts.host,
        port: typeof addr === "object" && addr ? addr.port : opts.port,
        secure: opts.tls !== undefined,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
