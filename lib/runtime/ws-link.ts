// What every WebSocket server adapter shares: the upgrade request as decide() sees it, refusals as
// plain HTTP answers, and one open socket as a MessageLink with the same limits everywhere (messages
// held for a slow reader, bytes queued for a peer that does not read, pings left unanswered).
import { errorMessage } from "../errors.ts";
import { type CloseInfo, LinkError, type MessageLink } from "../link.ts";
import type { UpgradeDecision, UpgradeRequest, WsServerOptions } from "../sockets.ts";

/** The few things a link needs from a runtime's server-side WebSocket. */
export interface WsPort {
  readonly protocol: string;
  isOpen(): boolean;
  /** Sends one text message; false when the runtime refused to queue it (over its own limit). */
  sendText(text: string): boolean;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake. */
  terminate(): void;
  /** Sends a ping; absent where the runtime pings by itself (Deno's idleTimeout). */
  ping?(): void;
}

/** The link plus the events the adapter feeds into it. */
export interface WsLinkFeed {
  link: MessageLink;
  message(data: Uint8Array): void;
  pong(): void;
  /** The socket is gone (either side). */
  ended(code: number, reason: string): void;
}

export function offeredProtocols(h: string | null | undefined): string[] {
  return h ? h.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : [];
}

/** `target`: the request target as sent (`/path?query`), so the path keeps its percent-encoding. */
export function upgradeRequest(target: string, headers: Headers, remoteAddress: string): UpgradeRequest {
  const q = target.indexOf("?");
  return {
    path: q < 0 ? target : target.slice(0, q),
    query: new URLSearchParams(q < 0 ? "" : target.slice(q + 1)),
    headers,
    remoteAddress: remoteAddress.replace(/^::ffff:/, ""),
    offered: offeredProtocols(headers.get("sec-websocket-protocol")),
  };
}

/** A refusal as a plain HTTP answer (for runtimes whose servers speak web Responses). */
export function refusal(status: number, reason: string, headers: Record<string, string> = {}): Response {
  return new Response(reason + "\n", { status, headers: { "Content-Type": "text/plain; charset=utf-8", Connection: "close", ...headers } });
}

/** An upgrade decide() accepted, with the request it saw. */
export interface AcceptedUpgrade<C> {
  upgrade: UpgradeRequest;
  /** The subprotocol agreed on, "" for none. */
  protocol: string;
  context: C;
}

/**
 * What a fetch-style server (Bun, Deno) does before it upgrades: a request that is no upgrade gets
 * 426, decide() runs, and a refusal (or decide() failing) comes back as its HTTP answer.
 */
export async function decideUpgrade<C>(req: Request, remoteAddress: string, opts: WsServerOptions<C>): Promise<Response | AcceptedUpgrade<C>> {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("WebSocket upgrade required\n", { status: 426, headers: { "Content-Type": "text/plain", Upgrade: "websocket" } });
  }
  // The request target as the client sent it: the path keeps its percent-encoding, the query stays.
  const url = new URL(req.url);
  const upgrade = upgradeRequest(url.pathname + url.search, req.headers, remoteAddress);
  let d: UpgradeDecision<C>;
  try {
    d = await opts.decide(upgrade);
  } catch (err) {
    return refusal(500, errorMessage(err));
  }
  if (!d.accept) return refusal(d.status, d.reason, d.headers);
  return { upgrade, protocol: d.protocol ?? "", context: d.context };
}

/** A peer that never completes the closing handshake must not keep the socket forever. */
const CLOSE_GRACE_MS = 2000;
const decoder = new TextDecoder();

export function wsLink<C>(port: WsPort, remote: string, opts: WsServerOptions<C>): WsLinkFeed {
  const maxQueued = opts.maxQueued ?? 1000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  let missed = 0;
  let readClosed = false;
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let resolveClosed: (c: CloseInfo) => void = () => {};
  const closed = new Promise<CloseInfo>((r) => (resolveClosed = r));
  const ping = port.ping;
  const pinger = ping && opts.pingIntervalMs > 0
    ? setInterval(() => {
        if (missed >= opts.maxMissedPongs) {
          port.terminate();
          return;
        }
        missed++;
        try {
          ping.call(port);
        } catch {
          // closing anyway
        }
      }, opts.pingIntervalMs)
    : undefined;
  const finishRead = () => {
    if (readClosed) return;
    readClosed = true;
    try {
      controller?.close();
    } catch {
      // cancelled already
    }
  };
  let closing = false;
  const close = (reason = "", code = 1000) => {
    if (!port.isOpen() || closing) return;
    closing = true;
    port.close(code, reason);
    const t = setTimeout(() => port.terminate(), CLOSE_GRACE_MS);
    void closed.then(() => clearTimeout(t));
  };
  const readable = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel() {
      readClosed = true;
      close();
    },
  }, { highWaterMark: 0 });
  const tooMuch = () => {
    opts.log?.warn("websocket peer does not read its messages, closing", { remote, buffered_bytes: port.bufferedAmount(), limit: maxBuffered });
    close("peer does not read", 1008);
  };
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (!port.isOpen() || closing) throw new LinkError(`${remote}: websocket is not open`);
      // A peer that sends but never reads would otherwise grow our send buffer without bound.
      if (!port.sendText(decoder.decode(chunk)) || port.bufferedAmount() > maxBuffered) tooMuch();
    },
  });
  return {
    link: { protocol: port.protocol, remote, readable, writable, closed, close },
    message(data) {
      if (readClosed || !controller) return;
      if (-(controller.desiredSize ?? 0) >= maxQueued) {
        close("too many unprocessed messages", 1008);
        return;
      }
      controller.enqueue(data);
    },
    pong() {
      missed = 0;
    },
    ended(code, reason) {
      if (pinger) clearInterval(pinger);
      finishRead();
      resolveClosed({ code, reason });
    },
  };
}
