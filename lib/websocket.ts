import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { Logger } from "./log.ts";

/** What the server knows about an upgrade request before deciding on it. */
export interface UpgradeRequest {
  /** Path as sent (still percent-encoded), without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  /** Subprotocols the client offered, in its order; empty when it sent no header. */
  offered: string[];
}

export type UpgradeDecision<C> =
  | { accept: true; protocol: string | null; context: C }
  | { accept: false; status: number; reason: string; headers?: Record<string, string> };

export interface CloseInfo {
  code: number;
  reason: string;
}

/** One accepted WebSocket seen as a stream of text messages plus `send`. */
export interface WsConnection {
  readonly protocol: string;
  readonly remote: string;
  readonly readable: ReadableStream<string>;
  /** Throws when the socket is no longer open. */
  send(text: string): void;
  close(code?: number, reason?: string): void;
  readonly closed: Promise<CloseInfo>;
}

export interface WsServerOptions<C> {
  host: string;
  port: number;
  /** PEM text; both set means wss://. */
  tls?: { cert: string; key: string } | undefined;
  /** 0 disables server pings. */
  pingIntervalMs: number;
  /** Pings left unanswered before the socket is dropped. */
  maxMissedPongs: number;
  maxPayload: number;
  /** Messages held for a slow consumer before the socket is closed (a flood must not grow memory). */
  maxQueued?: number;
  /** Bytes we may have queued for a peer that does not read before the socket is closed (default 1 MiB). */
  maxBufferedBytes?: number;
  log?: Logger;
  decide(req: UpgradeRequest): UpgradeDecision<C> | Promise<UpgradeDecision<C>>;
  onConnection(conn: WsConnection, context: C): void;
}

export interface WsServer {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  close(): Promise<void>;
}

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

function offeredProtocols(h: string | undefined): string[] {
  return h ? h.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : [];
}

function rawToText(d: RawData): string {
  if (Array.isArray(d)) return Buffer.concat(d).toString("utf8");
  return Buffer.from(d instanceof ArrayBuffer ? new Uint8Array(d) : d).toString("utf8");
}

interface WrapOptions {
  pingIntervalMs: number;
  maxMissedPongs: number;
  maxQueued: number;
  maxBufferedBytes: number;
  log?: Logger | undefined;
}

function wrap(ws: WebSocket, remote: string, opts: WrapOptions): WsConnection {
  let missed = 0;
  let readClosed = false;
  let queued = 0;
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
  const readable = new ReadableStream<string>({
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
        queued = controller.desiredSize === null ? queued : Math.max(0, -controller.desiredSize);
        if (queued >= opts.maxQueued) {
          ws.close(1008, "too many unprocessed messages");
          return;
        }
        controller.enqueue(rawToText(data));
      });
    },
    cancel() {
      readClosed = true;
      ws.close();
    },
  }, { highWaterMark: 0 });
  const close = (code = 1000, reason = "") => {
    if (ws.readyState === WebSocket.CLOSED) return;
    ws.close(code, reason);
    // A peer that never completes the closing handshake must not keep the socket forever.
    setTimeout(() => ws.terminate(), 2000).unref?.();
  };
  return {
    protocol: ws.protocol,
    remote,
    readable,
    closed,
    send(text) {
      if (ws.readyState !== WebSocket.OPEN) throw new Error("websocket is not open");
      ws.send(text);
      // A peer that sends but never reads would otherwise grow our send buffer without bound.
      if (ws.bufferedAmount > opts.maxBufferedBytes) {
        opts.log?.warn("websocket peer does not read its messages, closing", { remote, buffered_bytes: ws.bufferedAmount, limit: opts.maxBufferedBytes });
        close(1008, "peer does not read");
      }
    },
    close,
  };
}

/**
 * A WebSocket server over node:http(s) + `ws`, which behave the same on Bun, Deno and Node. The
 * upgrade is decided before the handshake so refusals are plain HTTP answers (400/401/404).
 */
export function listenWebSocket<C>(opts: WsServerOptions<C>): Promise<WsServer> {
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
      const upgrade: UpgradeRequest = {
        path: (req.url ?? "/").split("?")[0] ?? "/",
        query: url.searchParams,
        headers: req.headers,
        remoteAddress,
        offered: offeredProtocols(req.headers["sec-websocket-protocol"]),
      };
      let d: UpgradeDecision<C>;
      try {
        d = await opts.decide(upgrade);
      } catch (err) {
        refuse(socket, 500, err instanceof Error ? err.message : "internal error");
        return;
      }
      if (!d.accept) {
        refuse(socket, d.status, d.reason, d.headers);
        return;
      }
      const decision = d;
      chosen.set(req, decision.protocol ?? false);
      wss.handleUpgrade(req, socket, head, (ws) => {
        const remote = `${remoteAddress}:${req.socket.remotePort ?? 0}`;
        opts.onConnection(wrap(ws, remote, { ...opts, maxQueued: opts.maxQueued ?? 1000, maxBufferedBytes: opts.maxBufferedBytes ?? 1024 * 1024 }), decision.context);
      });
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off("error", reject);
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
