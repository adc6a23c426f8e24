import { errorMessage } from "./errors.ts";
import { type Step, transformReadable, transformWritable } from "./transform.ts";

// The one shape every transport gives: a duplex of Web Streams. TCP (in and out, TLS), UDP (one
// link per peer), WebSocket (one chunk per message) and serial lines all look like this, so a
// codec and a session never know which transport carries them.

/** Why a link ended; `code` is the WebSocket close code where there is one. */
export interface CloseInfo {
  reason: string;
  code?: number;
}

export interface Link<R = Uint8Array, W = R> {
  readonly readable: ReadableStream<R>;
  readonly writable: WritableStream<W>;
  /** The other end: `host:port`, `[v6]:port`, or a device path. */
  readonly remote: string;
  /** Resolves once the link is closed, whichever side closed it; never rejects. */
  readonly closed: Promise<CloseInfo>;
  /** Closes both directions; pending writes may be lost. Idempotent. `code`: WebSocket close code. */
  close(reason?: string, code?: number): void;
}

/** A WebSocket link also knows the subprotocol it agreed on. */
export interface MessageLink extends Link<Uint8Array> {
  readonly protocol: string;
}

/**
 * Bytes ⇄ frames for one protocol: a fresh pair of transformers per link (they hold partial
 * input). Transformers rather than TransformStreams, so `framed` can run them on the link's own
 * streams; `new TransformStream(codec.decoder())` gives the stream where one is wanted.
 */
export interface Codec<In, Out> {
  decoder(): Step<Uint8Array, In>;
  encoder(): Step<Out, Uint8Array>;
}

/** A link seen through a codec: typed frames in both directions, same lifetime as the transport. */
export function framed<In, Out>(link: Link, codec: Codec<In, Out>): Link<In, Out> {
  return {
    readable: transformReadable(link.readable, codec.decoder()),
    // An encoder whose transport failed ends the link rather than leaving it half open.
    writable: transformWritable(link.writable, codec.encoder(), (err) => link.close(`write failed: ${errorMessage(err)}`)),
    remote: link.remote,
    closed: link.closed,
    close: (reason, code) => link.close(reason, code),
  };
}

/** Transport-level failure (refused connection, TLS error, device gone): the message names the peer. */
export class LinkError extends Error {
  override name = "LinkError";
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port` or `:port`; a bare host gets `defaultPort`. */
export function parseHostPort(s: string, defaultPort?: number): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*?))(?::(\d+))?$/.exec(s.trim());
  const host = m?.[1] ?? m?.[2] ?? "";
  const portText = m?.[3];
  const port = portText !== undefined ? Number(portText) : defaultPort;
  if (!m || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535 || /\s/.test(host)) {
    throw new Error(`expected host:port (IPv6 in brackets, e.g. [::]:9091), got "${s}"`);
  }
  return { host: host === "" ? "0.0.0.0" : host, port };
}

/** `host:port` for logs and `remote`, brackets around IPv6. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
