// A WebSocket server on Deno.serve + Deno.upgradeWebSocket: decide() runs before the upgrade, so
// refusals are plain HTTP answers. Deno pings by itself (idleTimeout: a ping after half of it
// without traffic, a drop after all of it), and has no payload limit of its own: an oversized
// message is refused once it has arrived (closed with 1009, as the other adapters do).
import { formatHostPort } from "../link.ts";
import type { Listener, WsServerOptions } from "../sockets.ts";
import { deno } from "./deno-api.ts";
import { denoServe } from "./deno-http.ts";
import { decideUpgrade, wsLink } from "./ws-link.ts";

const encoder = new TextEncoder();

export function listenWebSocket<C>(opts: WsServerOptions<C>): Promise<Listener & { readonly secure: boolean }> {
  // Our contract drops a peer after maxMissedPongs unanswered pings, one per interval.
  const idleTimeout = opts.pingIntervalMs > 0 ? (opts.pingIntervalMs * (opts.maxMissedPongs + 1)) / 1000 : 0;
  return denoServe(opts, async (req, info) => {
    // Read before the upgrade: afterwards Deno refuses ("Request closed").
    const { hostname, port } = info.remoteAddr;
    const a = await decideUpgrade(req, hostname, opts);
    if (a instanceof Response) return a;
    const { upgrade, context, protocol } = a;
    // The agreed protocol goes into the answer by hand: Deno's own check splits the offer on ", "
    // only, and refuses "p1,p2" (as the ws client sends it) as not offering p2.
    const { socket, response } = deno().upgradeWebSocket(req, { idleTimeout });
    if (protocol) response.headers.set("Sec-WebSocket-Protocol", protocol);
    socket.binaryType = "arraybuffer";
    const remote = formatHostPort(upgrade.remoteAddress, port);
    socket.onopen = () => {
      const feed = wsLink(
        {
          protocol,
          isOpen: () => socket.readyState === WebSocket.OPEN,
          sendText: (text) => {
            socket.send(text);
            return true;
          },
          bufferedAmount: () => socket.bufferedAmount,
          close: (code, reason) => socket.close(code, reason),
          // Deno's WebSocket has no abrupt close; a second close() is the most it offers.
          terminate: () => socket.close(),
        },
        remote,
        opts,
      );
      socket.onmessage = (e: MessageEvent<unknown>) => {
        const data = typeof e.data === "string" ? encoder.encode(e.data) : e.data instanceof ArrayBuffer ? new Uint8Array(e.data) : new Uint8Array(0);
        if (data.length > opts.maxPayload) return socket.close(1009, "message too big");
        feed.message(data);
      };
      socket.onclose = (e) => feed.ended(e.code, e.reason);
      socket.onerror = () => {};
      opts.onConnection(feed.link, context);
    };
    return response;
  });
}
