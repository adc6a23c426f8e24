// A WebSocket server on Bun.serve: decide() runs in fetch, before server.upgrade(), so refusals are
// plain HTTP answers. Bun enforces maxPayload itself (closing with 1009) and tells what it still
// has to send (getBufferedAmount); our pings go out with ws.ping() and come back to `pong`.
import { formatHostPort } from "../link.ts";
import type { Listener, WsServerOptions } from "../sockets.ts";
import { bunListener } from "./bun-http.ts";
import { serverTls } from "./bun-tcp.ts";
import { decideUpgrade, refusal, type WsLinkFeed, wsLink } from "./ws-link.ts";

interface WsData<C> {
  context: C;
  protocol: string;
  remote: string;
  feed: WsLinkFeed | undefined;
}

const encoder = new TextEncoder();
const OPEN = 1;

export function listenWebSocket<C>(opts: WsServerOptions<C>): Promise<Listener & { readonly secure: boolean }> {
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  return bunListener(opts, () =>
    Bun.serve<WsData<C>>({
      hostname: opts.host,
      port: opts.port,
      ...(opts.tls ? { tls: serverTls(opts.tls) } : {}),
      async fetch(req, srv) {
        const ip = srv.requestIP(req);
        const a = await decideUpgrade(req, ip?.address ?? "unknown", opts);
        if (a instanceof Response) return a;
        const data: WsData<C> = { context: a.context, protocol: a.protocol, remote: formatHostPort(a.upgrade.remoteAddress, ip?.port ?? 0), feed: undefined };
        if (srv.upgrade(req, { data, headers: a.protocol ? { "Sec-WebSocket-Protocol": a.protocol } : {} })) return undefined;
        return refusal(400, "not a valid WebSocket upgrade");
      },
      error: () => refusal(500, "internal error"),
      websocket: {
        maxPayloadLength: opts.maxPayload,
        // Liveness is ours (pingIntervalMs, maxMissedPongs), not Bun's idle timer.
        idleTimeout: 0,
        sendPings: false,
        // Past our own limit the socket is closed anyway; Bun must not drop messages silently before.
        backpressureLimit: maxBuffered * 2,
        closeOnBackpressureLimit: false,
        open(ws) {
          const feed = wsLink(
            {
              protocol: ws.data.protocol,
              isOpen: () => ws.readyState === OPEN,
              sendText: (text) => ws.sendText(text) !== 0,
              bufferedAmount: () => ws.getBufferedAmount(),
              close: (code, reason) => ws.close(code, reason),
              terminate: () => ws.terminate(),
              ping: () => void ws.ping(),
            },
            ws.data.remote,
            opts,
          );
          ws.data.feed = feed;
          opts.onConnection(feed.link, ws.data.context);
        },
        message(ws, message) {
          ws.data.feed?.message(typeof message === "string" ? encoder.encode(message) : new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
        },
        pong(ws) {
          ws.data.feed?.pong();
        },
        close(ws, code, reason) {
          ws.data.feed?.ended(code, reason);
        },
      },
    }),
  );
}
