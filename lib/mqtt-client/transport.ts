// The byte stream under an MQTT connection, from the broker URL: mqtt:// and tcp:// (TCP), mqtts://
// and ssl:// (TLS), ws:// and wss:// (WebSocket, subprotocol "mqtt"; MQTT packets may span
// messages). All of them as a Link of bytes.
import { errorMessage } from "../errors.ts";
import { type CloseInfo, type Link, LinkError } from "../link.ts";
import type { TlsClientOptions } from "../sockets.ts";
import { dialTcp } from "../tcp.ts";

export interface BrokerAddress {
  scheme: "mqtt" | "mqtts" | "ws" | "wss";
  host: string;
  port: number;
  /** Path and query, for WebSocket URLs ("/" when the URL has none). */
  path: string;
  /** From `user:password@` in the URL, percent-decoding undone. */
  username?: string | undefined;
  password?: string | undefined;
}

/** Transport errors that only mean "the broker is not there (yet)": retried without a log line. */
export function unreachable(message: string): boolean {
  return /ECONNREFUSED|ECONNRESET|EADDRINUSE|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|no connection within|connection refused/i.test(message);
}

const DEFAULT_PORT = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 } as const;
const SCHEMES: Record<string, BrokerAddress["scheme"]> = { mqtt: "mqtt", tcp: "mqtt", mqtts: "mqtts", ssl: "mqtts", tls: "mqtts", ws: "ws", wss: "wss" };

/** Reads a broker URL; `secure` (a client certificate is configured) turns mqtt:// into mqtts:// and ws:// into wss://. */
export function parseBrokerUrl(url: string, secure = false): BrokerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LinkError(`not a broker URL: "${url}"`);
  }
  const named = SCHEMES[u.protocol.replace(/:$/, "")];
  if (!named) throw new LinkError(`broker URL scheme "${u.protocol}" is not one of mqtt, mqtts, ws, wss, tcp, ssl`);
  const scheme = secure && named === "mqtt" ? "mqtts" : secure && named === "ws" ? "wss" : named;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new LinkError(`broker URL "${url}" has no host`);
  return {
    scheme,
    host,
    port: u.port === "" ? DEFAULT_PORT[scheme] : Number(u.port),
    path: `${u.pathname || "/"}${u.search}`,
    username: u.username === "" ? undefined : decodeURIComponent(u.username),
    password: u.password === "" ? undefined : decodeURIComponent(u.password),
  };
}

/** Opens the byte stream to `to`; rejects with a LinkError naming the broker. */
export async function openTransport(to: BrokerAddress, tls: TlsClientOptions, timeoutMs: number): Promise<Link> {
  if (to.scheme === "mqtt") return dialTcp({ host: to.host, port: to.port, timeoutMs });
  if (to.scheme === "mqtts") return dialTcp({ host: to.host, port: to.port, timeoutMs, tls });
  return dialWebSocket(to, tls, timeoutMs);
}

/** `ws` rather than the global WebSocket: only it takes a CA, a client certificate and key on every runtime. */
async function dialWebSocket(to: BrokerAddress, tls: TlsClientOptions, timeoutMs: number): Promise<Link> {
  const { WebSocket } = await import("ws");
  const host = to.host.includes(":") ? `[${to.host}]` : to.host;
  const url = `${to.scheme}://${host}:${to.port}${to.path}`;
  const secure = to.scheme === "wss" ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true } : {};
  const ws = new WebSocket(url, ["mqtt"], { handshakeTimeout: timeoutMs, ...secure });
  // An unhandled 'error' event would end the process; failures show as the promise below or as close.
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", (err) => reject(new LinkError(`${url}: ${errorMessage(err)}`)));
    ws.once("close", () => reject(new LinkError(`${url}: closed during the handshake`)));
  });
  let why: string | undefined;
  const closed = new Promise<CloseInfo>((resolve) => ws.once("close", (code, reason) => resolve({ reason: why ?? (reason.toString() || "closed"), code })));
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      ws.on("message", (data) => {
        const parts = Array.isArray(data) ? data : [data];
        for (const d of parts) controller.enqueue(d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      });
      ws.once("close", () => {
        try {
          controller.close();
        } catch {
          // already cancelled
        }
      });
    },
    cancel() {
      ws.terminate();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) return reject(new LinkError(`${url}: socket closed`));
        ws.send(chunk, { binary: true }, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => ws.close(1000),
    abort: () => ws.terminate(),
  });
  return {
    readable,
    writable,
    remote: url,
    closed,
    close: (reason) => {
      why ??= reason;
      ws.terminate();
    },
  };
}
