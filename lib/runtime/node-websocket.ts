// A WebSocket server over node:http(s) and `ws`. The upgrade is decided before the handshake, so
// refusals are plain HTTP answers (400/401/404/409/503).
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { errorMessage } from "../errors.ts";
import { formatHostPort } from "../link.ts";
import type { Listener, UpgradeDecision, WsServerOptions } from "../sockets.ts";
import { toHeaders } from "./node-http.ts";
import { listenOn, trackConnections } from "./node-listen.ts";
import { nodeTlsServerOptions } from "./node-tcp.ts";
import { upgradeRequest, wsLink } from "./ws-link.ts";

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

function rawBytes(d: RawData): Uint8Array {
  const b = Array.isArray(d) ? Buffer.concat(d) : d instanceof ArrayBuffer ? new Uint8Array(d) : d;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function accept<C>(ws: WebSocket, remote: string, opts: WsServerOptions<C>, context: C): void {
  const feed = wsLink(
    {
      protocol: ws.protocol,
      isOpen: () => ws.readyState === WebSocket.OPEN,
      sendText: (text) => {
        ws.send(text);
        return true;
      },
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
      ping: () => ws.ping(),
    },
    remote,
    opts,
  );
  // Errors surface as close; an unhandled 'error' event would crash the process.
  ws.on("error", () => {});
  ws.on("pong", () => feed.pong());
  ws.on("message", (data) => feed.message(rawBytes(data)));
  ws.once("close", (code, reason) => feed.ended(code, reason.toString()));
  opts.onConnection(feed.link, context);
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
  const server = opts.tls ? https.createServer(nodeTlsServerOptions(opts.tls), onRequest) : http.createServer(onRequest);
  const open = trackConnections(server);
  server.on("clientError", (_err, socket: Duplex) => socket.destroy());
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    void (async () => {
      const upgrade = upgradeRequest(req.url ?? "/", toHeaders(req.headers), req.socket.remoteAddress ?? "unknown");
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
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, formatHostPort(upgrade.remoteAddress, req.socket.remotePort ?? 0), opts, decision.context));
    })();
  });
  const secure = opts.tls !== undefined;
  return listenOn(server, opts, open, () => {
    for (const c of wss.clients) c.terminate();
  }).then((l) => ({ ...l, secure }));
}
