// The runtime seam: what a runtime adapter (lib/runtime/<runtime>.ts) provides. Everything above
// this file sees only Links; only the adapters know whether they run on Bun, Deno or Node.
import type { HostPort, Link, MessageLink } from "./link.ts";
import type { Logger } from "./log.ts";

/** PEM text, not paths: files are read by the caller (lib/pem.ts), so errors name the config key. */
export interface TlsClientOptions {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** Verify the peer's chain (default true). */
  rejectUnauthorized?: boolean;
  /** Check the certificate's name against the host (default true; Huawei PSUs have none). */
  checkServerName?: boolean;
}

export interface TlsServerOptions {
  cert: string;
  key: string;
  /** Client CA: with it, clients must present a certificate it signed (mTLS). */
  ca?: string | undefined;
}

export interface TcpListenOptions extends HostPort {
  tls?: TlsServerOptions | undefined;
}

export interface TcpDialOptions extends HostPort {
  tls?: TlsClientOptions | undefined;
  /** Give up connecting after this long (default 10 s). */
  timeoutMs?: number;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting and closes every link it accepted. */
  close(): Promise<void>;
}

/** One datagram and where it came from. */
export interface Datagram {
  data: Uint8Array;
  address: string;
  port: number;
}

export interface UdpSocketOptions {
  /** Local address; "0.0.0.0" to hear broadcasts on every interface. */
  bind: string;
  /** 0 lets the OS pick (tests, simulators). */
  port: number;
  broadcast?: boolean;
}

/** A bound UDP socket: datagrams are handed to `onDatagram` as they come (UDP has no back-pressure). */
export interface UdpSocket {
  readonly address: string;
  readonly port: number;
  send(data: Uint8Array, address: string, port: number): Promise<void>;
  close(): Promise<void>;
}

/** What the server knows about an upgrade request before deciding on it. */
export interface UpgradeRequest {
  /** Path as sent (still percent-encoded), without the query. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  remoteAddress: string;
  /** Subprotocols the client offered, in its order; empty when it sent no header. */
  offered: string[];
}

export type UpgradeDecision<C> =
  | { accept: true; protocol: string | null; context: C }
  | { accept: false; status: number; reason: string; headers?: Record<string, string> };

export interface WsServerOptions<C> extends HostPort {
  /** PEM text; set means wss://. */
  tls?: TlsServerOptions | undefined;
  /** 0 disables server pings. */
  pingIntervalMs: number;
  /** Pings left unanswered before the socket is dropped. */
  maxMissedPongs: number;
  maxPayload: number;
  /** Messages held for a slow consumer before the socket is closed (a flood must not grow memory; default 1000). */
  maxQueued?: number;
  /** Bytes queued for a peer that does not read before the socket is closed (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Where a socket closed for misbehaving is reported. */
  log?: Logger | undefined;
  decide(req: UpgradeRequest): UpgradeDecision<C> | Promise<UpgradeDecision<C>>;
  /** Each chunk of the link is one message; written chunks go out as text messages. */
  onConnection(link: MessageLink, context: C): void;
}

export interface HttpServeOptions extends HostPort {
  tls?: TlsServerOptions | undefined;
}

/**
 * A fetch-style handler: the Request, where it came from; the Response. An event stream
 * (text/event-stream) goes out as it is produced and is cancelled when the client leaves (the
 * request's signal aborts too); other bodies may be sent whole, with their length.
 */
export type HttpHandler = (req: Request, info: { remoteAddress: string }) => Response | Promise<Response>;

export interface SerialOptions {
  /** A device path such as /dev/ttyUSB0 (opened raw, 8N1). */
  path: string;
  baud: number;
}

export interface Sockets {
  readonly name: string;
  listenTcp(opts: TcpListenOptions, onLink: (link: Link) => void): Promise<Listener>;
  dialTcp(opts: TcpDialOptions): Promise<Link>;
  bindUdp(opts: UdpSocketOptions, onDatagram: (d: Datagram) => void): Promise<UdpSocket>;
  listenWebSocket<C>(opts: WsServerOptions<C>): Promise<Listener & { readonly secure: boolean }>;
  serveHttp(opts: HttpServeOptions, handler: HttpHandler): Promise<Listener & { readonly secure: boolean }>;
  /** A serial line as a Link; rejects with a LinkError naming the device when it cannot be opened. */
  openSerial(opts: SerialOptions): Promise<Link>;
}
