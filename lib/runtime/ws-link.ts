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

/**
 * One open socket as a link: a class, so its methods cost a connection nothing (the bridge holds
 * one per connected charge point). It is the link, the adapter's feed and its readable's source.
 */
class WsConn<C> implements WsLinkFeed, MessageLink, UnderlyingDefaultSource<Uint8Array> {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly closed: Promise<CloseInfo>;
  readonly protocol: string;
  private missed = 0;
  private readClosed = false;
  private closing = false;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private resolveClosed: (c: CloseInfo) => void = () => {};
  private readonly pinger: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly port: WsPort, readonly remote: string, private readonly opts: WsServerOptions<C>) {
    this.protocol = port.protocol;
    this.closed = new Promise<CloseInfo>((r) => (this.resolveClosed = r));
    this.pinger = port.ping && opts.pingIntervalMs > 0 ? setInterval(pingTick, opts.pingIntervalMs, this) : undefined;
    this.readable = new ReadableStream<Uint8Array>(this, { highWaterMark: 0 });
    this.writable = new WritableStream<Uint8Array>(new WsSink(this));
  }

  get link(): MessageLink {
    return this;
  }

  // The readable's underlying source.
  start(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = c;
  }

  cancel(): void {
    this.readClosed = true;
    this.close();
  }

  close(reason = "", code = 1000): void {
    if (!this.port.isOpen() || this.closing) return;
    this.closing = true;
    this.port.close(code, reason);
    const t = setTimeout(() => this.port.terminate(), CLOSE_GRACE_MS);
    void this.closed.then(() => clearTimeout(t));
  }

  /** One outgoing message (the writable's write). */
  send(chunk: Uint8Array): void {
    if (!this.port.isOpen() || this.closing) throw new LinkError(`${this.remote}: websocket is not open`);
    // A peer that sends but never reads would otherwise grow our send buffer without bound.
    const maxBuffered = this.opts.maxBufferedBytes ?? 1024 * 1024;
    if (!this.port.sendText(decoder.decode(chunk)) || this.port.bufferedAmount() > maxBuffered) {
      this.opts.log?.warn("websocket peer does not read its messages, closing", { remote: this.remote, buffered_bytes: this.port.bufferedAmount(), limit: maxBuffered });
      this.close("peer does not read", 1008);
    }
  }

  /** The ping timer: a peer that missed too many pongs is dropped. */
  tick(): void {
    if (this.missed >= this.opts.maxMissedPongs) {
      this.port.terminate();
      return;
    }
    this.missed++;
    try {
      this.port.ping?.();
    } catch {
      // closing anyway
    }
  }

  message(data: Uint8Array): void {
    const controller = this.controller;
    if (this.readClosed || !controller) return;
    if (-(controller.desiredSize ?? 0) >= (this.opts.maxQueued ?? 1000)) {
      this.close("too many unprocessed messages", 1008);
      return;
    }
    controller.enqueue(data);
  }

  pong(): void {
    this.missed = 0;
  }

  ended(code: number, reason: string): void {
    if (this.pinger) clearInterval(this.pinger);
    if (!this.readClosed) {
      this.readClosed = true;
      try {
        this.controller?.close();
      } catch {
        // cancelled already
      }
    }
    this.resolveClosed({ code, reason });
  }
}

function pingTick(c: WsConn<unknown>): void {
  c.tick();
}

/** The writable's sink: its own object, since a sink's `close` is not the link's. */
class WsSink implements UnderlyingSink<Uint8Array> {
  constructor(private readonly conn: WsConn<unknown>) {}

  write(chunk: Uint8Array): void {
    this.conn.send(chunk);
  }
}

export function wsLink<C>(port: WsPort, remote: string, opts: WsServerOptions<C>): WsLinkFeed {
  return new WsConn(port, remote, opts);
}
