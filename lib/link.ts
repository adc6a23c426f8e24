import { errorMessage } from "./errors.ts";

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

/** Bytes ⇄ frames for one protocol: a fresh pair of transforms per link (they hold partial input). */
export interface Codec<In, Out> {
  decoder(): TransformStream<Uint8Array, In>;
  encoder(): TransformStream<Out, Uint8Array>;
}

/** A link seen through a codec: typed frames in both directions, same lifetime as the transport. */
export function framed<In, Out>(link: Link, codec: Codec<In, Out>): Link<In, Out> {
  const encoder = codec.encoder();
  // An encoder that fails (the transport went away) ends the link rather than leaving it half open.
  void encoder.readable.pipeTo(link.writable).catch((err: unknown) => link.close(`write failed: ${errorMessage(err)}`));
  return {
    readable: link.readable.pipeThrough(codec.decoder()),
    writable: encoder.writable,
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
