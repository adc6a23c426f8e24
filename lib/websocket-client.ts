// An outgoing WebSocket as a MessageLink (one chunk = one message, written chunks go out as text),
// for simulators and any protocol that dials out. Built on the `ws` package, which Bun, Deno and
// Node all run; this file and lib/runtime/ are the only ones that touch it.
import { type RawData, WebSocket } from "ws";
import { type CloseInfo, formatHostPort, LinkError, type MessageLink } from "./link.ts";

export interface DialWebSocketOptions {
  /** Subprotocols offered, in preference order. */
  protocols?: string[];
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** PEM text of a CA to trust for wss:// (self-signed test certificates). */
  ca?: string | undefined;
  /** Give up the handshake after this long (default 10 s). */
  timeoutMs?: number;
  /** Messages held for a slow reader before the socket is closed (default 1000). */
  maxQueued?: number;
}

function bytesOf(d: RawData): Uint8Array {
  if (Array.isArray(d)) {
    const total = d.reduce((n, b) => n + b.byteLength, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const b of d) {
      out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
      at += b.byteLength;
    }
    return out;
  }
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function remoteOf(url: URL): string {
  const port = url.port ? Number(url.port) : url.protocol === "wss:" ? 443 : 80;
  return formatHostPort(url.hostname.replace(/^\[|\]$/g, ""), port);
}

const decoder = new TextDecoder();

/** Opens `url`; resolves once the handshake is done, rejects with a LinkError naming the target (`HTTP 401` for a refusal). */
export function dialWebSocket(url: string, opts: DialWebSocketOptions = {}): Promise<MessageLink> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new LinkError(`not a WebSocket URL: "${url}"`));
  }
  const remote = remoteOf(target);
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers ?? {}, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
  const maxQueued = opts.maxQueued ?? 1000;
  let readClosed = false;
  let finish: () => void = () => {};
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.once("close", (code, reason) => {
      finish();
      resolve({ code, reason: reason.toString() });
    });
  });
  const close = (reason = "", code = 1000) => {
    if (ws.readyState === WebSocket.CLOSED) return;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
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
        controller.enqueue(bytesOf(data));
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
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new LinkError(`${remote}: no WebSocket handshake within ${(opts.timeoutMs ?? 10_000) / 1000} s`));
    }, opts.timeoutMs ?? 10_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(new LinkError(`${remote}: ${err.message}`));
    };
    ws.once("error", fail);
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      ws.off("error", fail);
      // Errors after the refusal (the socket being torn down) must not crash the process.
      ws.on("error", () => {});
      reject(new LinkError(`${remote}: HTTP ${res.statusCode ?? "?"}`));
      ws.terminate();
    });
    ws.once("open", () => {
      clearTimeout(timer);
      ws.off("error", fail);
      // Errors surface as close; an unhandled 'error' event would crash the process.
      ws.on("error", () => {});
      resolve({ protocol: ws.protocol, remote, readable, writable, closed, close });
    });
  });
}
