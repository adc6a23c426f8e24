// TCP and TLS on Bun's own sockets (Bun.listen / Bun.connect), without the node:net layer. One set
// of handlers serves every socket; each socket's state lives in its `data`. Bun writes what the
// kernel takes and returns the count, so the rest waits here for `drain`: that is the writer's
// back-pressure. A reader that falls behind pauses the socket.
import { errorMessage } from "../errors.ts";
import { type CloseInfo, formatHostPort, type Link, LinkError } from "../link.ts";
import type { Listener, TcpDialOptions, TcpListenOptions, TlsClientOptions, TlsServerOptions } from "../sockets.ts";

/**
 * One socket's state, kept in its `data`. A class that is the link and its readable's source at
 * once, with the writable's sink beside it: methods cost a connection nothing, closures would (the
 * bridge holds one per connected charger).
 */
class Conn implements Link, UnderlyingDefaultSource<Uint8Array> {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly remote: string;
  readonly closed: Promise<CloseInfo>;
  controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  readClosed = false;
  pending: { rest: Uint8Array; resolve(): void; reject(e: Error): void } | undefined;
  why: string | undefined;
  private resolveClosed: (c: CloseInfo) => void = () => {};

  constructor(readonly s: Sock) {
    this.remote = formatHostPort(s.remoteAddress, s.remotePort);
    this.closed = new Promise<CloseInfo>((r) => (this.resolveClosed = r));
    this.readable = new ReadableStream<Uint8Array>(this, { highWaterMark: 16 });
    this.writable = new WritableStream<Uint8Array>(new TcpSink(this));
    s.setNoDelay(true);
  }

  get link(): Link {
    return this;
  }

  // The readable's underlying source.
  start(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = c;
  }

  pull(): void {
    this.s.resume();
  }

  cancel(): void {
    this.readClosed = true;
    this.s.terminate();
  }

  close(reason?: string): void {
    this.why ??= reason;
    const s = this.s;
    s.end();
    const t = setTimeout(() => s.terminate(), CLOSE_GRACE_MS);
    void this.closed.then(() => clearTimeout(t));
  }

  ended(reason: string): void {
    this.resolveClosed({ reason: this.why ?? reason });
  }
}

/** The writable's sink: its own object, since a sink's `close` is not the link's. */
class TcpSink implements UnderlyingSink<Uint8Array> {
  constructor(private readonly c: Conn) {}

  write(chunk: Uint8Array): Promise<void> | undefined {
    const s = this.c.s;
    if (s.readyState <= 0) return Promise.reject(new LinkError(`${this.c.remote}: closed`));
    const n = s.write(chunk);
    if (n === chunk.length) return;
    if (n < 0) return Promise.reject(new LinkError(`${this.c.remote}: closed`));
    return new Promise<void>((resolve, reject) => (this.c.pending = { rest: chunk.subarray(n), resolve, reject }));
  }

  close(): void {
    void this.c.s.end();
  }

  abort(): void {
    this.c.s.terminate();
  }
}

type Sock = Bun.Socket<Conn | undefined>;

/** A peer that ignores our FIN must not keep the socket forever. */
const CLOSE_GRACE_MS = 2000;
/** A client that connects and never finishes its TLS handshake is let go after this. */
const HANDSHAKE_S = 10;

function finishRead(c: Conn): void {
  if (c.readClosed) return;
  c.readClosed = true;
  try {
    c.controller?.close();
  } catch {
    // already cancelled
  }
}

/** A TLS handshake's verdict: undefined lets the link through, an Error refuses it. */
type Verify = (success: boolean, error: Error | null) => Error | undefined;

/**
 * Shared by listeners and dialled sockets; `opened` hands over each new link. With `verify` (TLS)
 * the link is handed over only after the handshake, which `verify` has accepted.
 */
function handlers(opened: (s: Sock, link: Link) => void, failed?: (err: Error) => void, verify?: Verify): Bun.SocketHandler<Conn | undefined> {
  return {
    binaryType: "uint8array",
    open(s) {
      const c = new Conn(s);
      s.data = c;
      if (verify) s.timeout(HANDSHAKE_S);
      else opened(s, c.link);
    },
    ...(verify
      ? {
          handshake(s: Sock, success: boolean, error: Error | null) {
            const refused = verify(success, error);
            const c = s.data;
            if (refused || !c) {
              s.data = undefined;
              s.terminate();
              failed?.(refused ?? new Error("handshake without a socket"));
              return;
            }
            s.timeout(0);
            opened(s, c.link);
          },
        }
      : {}),
    data(s, chunk) {
      const c = s.data;
      if (!c || c.readClosed || !c.controller) return;
      c.controller.enqueue(chunk);
      if ((c.controller.desiredSize ?? 1) <= 0) s.pause();
    },
    drain(s) {
      const p = s.data?.pending;
      if (!p) return;
      const n = s.write(p.rest);
      if (n < 0) return;
      if (n < p.rest.length) {
        p.rest = p.rest.subarray(n);
        return;
      }
      if (s.data) s.data.pending = undefined;
      p.resolve();
    },
    end(s) {
      if (s.data) finishRead(s.data);
    },
    error(s, err) {
      if (s.data) s.data.why ??= err.message;
      else failed?.(err);
    },
    close(s, err) {
      const c = s.data;
      if (!c) {
        failed?.(err ?? new Error("closed during the handshake"));
        return;
      }
      finishRead(c);
      c.pending?.reject(new LinkError(`${c.link.remote}: closed`));
      c.pending = undefined;
      c.ended(err ? err.message : "peer closed");
    },
  };
}

export function serverTls(t: TlsServerOptions): Bun.TLSOptions {
  return { cert: t.cert, key: t.key, ...(t.ca ? { ca: t.ca, requestCert: true, rejectUnauthorized: true } : {}) };
}

/**
 * Whether `host` is an IP address rather than a name (as node:net's isIP, which is not imported for
 * it: node:net costs the start-up ~3 ms and ~1.4 MiB). Names never contain a colon.
 */
function isAddress(host: string): boolean {
  return host.includes(":") || /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/.test(host);
}

function clientTls(host: string, t: TlsClientOptions): Bun.TLSOptions {
  // No SNI for an address. Bun reports what it found wrong and clientVerify() decides, so a name
  // mismatch can be let through (checkServerName: false) while a bad chain cannot.
  return { ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: false, ...(isAddress(host) ? {} : { serverName: host }) };
}

function clientVerify(t: TlsClientOptions): Verify {
  return (_success, error) => {
    if (!error || t.rejectUnauthorized === false) return undefined;
    // Bun, like node:tls, checks the name only once the chain is good, so this code means "chain good, name wrong".
    const code = "code" in error ? error.code : undefined;
    if (t.checkServerName === false && code === "ERR_TLS_CERT_ALTNAME_INVALID") return undefined;
    return error;
  };
}

/** A server refuses (mTLS) a client without a good certificate: success is then false. */
const serverVerify: Verify = (success, error) => (success ? undefined : (error ?? new Error("client certificate refused")));

export function listenTcp(opts: TcpListenOptions, onLink: (l: Link) => void): Promise<Listener> {
  let server: Bun.TCPSocketListener<Conn | undefined>;
  try {
    server = Bun.listen<Conn | undefined>({
      hostname: opts.host,
      port: opts.port,
      exclusive: true,
      ...(opts.tls ? { tls: serverTls(opts.tls) } : {}),
      socket: handlers((_s, link) => onLink(link), undefined, opts.tls ? serverVerify : undefined),
    });
  } catch (err) {
    return Promise.reject(new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: ${errorMessage(err)}`));
  }
  return Promise.resolve({
    host: opts.host,
    port: server.port,
    close: async () => server.stop(true),
  });
}

export function dialTcp(opts: TcpDialOptions): Promise<Link> {
  const target = formatHostPort(opts.host, opts.port);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise<Link>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Bun says "Failed to connect" and keeps the why (ECONNREFUSED, …) in the code.
      const code = "code" in err && typeof err.code === "string" && !err.message.includes(err.code) ? `${err.code}: ` : "";
      reject(new LinkError(`${target}: ${code}${err.message}`));
    };
    const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs / 1000} s`)), timeoutMs);
    const socket = handlers(
      (s, link) => {
        if (settled) return void s.terminate();
        settled = true;
        clearTimeout(timer);
        resolve(link);
      },
      fail,
      opts.tls ? clientVerify(opts.tls) : undefined,
    );
    Bun.connect<Conn | undefined>({
      hostname: opts.host,
      port: opts.port,
      ...(opts.tls ? { tls: clientTls(opts.host, opts.tls) } : {}),
      socket: { ...socket, connectError: (_s, err) => fail(err) },
    }).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
  });
}
