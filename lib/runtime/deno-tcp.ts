// TCP and TLS on Deno's own connections (Deno.listen / Deno.connect / their TLS twins), without the
// node:net layer. Reads happen only when the link's reader asks (pull), which is the back-pressure;
// each connection reads into one small buffer of its own and hands out copies. (conn.readable
// costs ~3× the memory per idle connection: each pending read holds a fresh 64 KiB chunk.)
import { errorMessage } from "../errors.ts";
import { type CloseInfo, formatHostPort, type Link, LinkError } from "../link.ts";
import type { Listener, TcpDialOptions, TcpListenOptions } from "../sockets.ts";
import { type DenoConn, deno } from "./deno-api.ts";

/** Held by every connection's pending read, so it is what an idle connection costs: with 3000 idle
 * connections (bench/transports/tcp.ts) 1 KiB came to ~17.5 KiB per connection, 4 KiB to ~21.5,
 * with no loss of speed for the small frames chargers send. */
const READ_BUFFER = 1024;
/** A client that connects and never finishes its TLS handshake is let go after this. */
const HANDSHAKE_MS = 10_000;

const message = errorMessage;

export function connLink(conn: DenoConn): Link {
  const remote = formatHostPort(conn.remoteAddr.hostname, conn.remoteAddr.port);
  try {
    conn.setNoDelay?.(true);
  } catch {
    // TLS connections have no such switch on some versions; Nagle only costs latency
  }
  let why: string | undefined;
  let done = false;
  let resolveClosed: (c: CloseInfo) => void = () => {};
  const closed = new Promise<CloseInfo>((r) => (resolveClosed = r));
  const finish = (reason: string) => {
    if (done) return;
    done = true;
    try {
      conn.close();
    } catch {
      // already closed by the other side
    }
    resolveClosed({ reason: why ?? reason });
  };
  const buf = new Uint8Array(READ_BUFFER);
  const readable = new ReadableStream<Uint8Array>({
    async pull(c) {
      let n: number | null = null;
      try {
        n = done ? null : await conn.read(buf);
      } catch (err) {
        why ??= message(err);
      }
      if (n !== null) return c.enqueue(buf.slice(0, n));
      c.close();
      finish("peer closed");
    },
    cancel: () => finish("consumer cancelled"),
  }, { highWaterMark: 16 });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      try {
        for (let off = 0; off < chunk.length; ) {
          if (done) throw new LinkError(`${remote}: closed`);
          off += await conn.write(chunk.subarray(off));
        }
      } catch (err) {
        why ??= message(err);
        finish("write failed");
        throw err instanceof LinkError ? err : new LinkError(`${remote}: ${message(err)}`);
      }
    },
    close: () => conn.closeWrite().catch(() => finish("closed")),
    abort: () => finish("aborted"),
  });
  return {
    readable,
    writable,
    remote,
    closed,
    close: (reason) => {
      why ??= reason;
      finish("closed");
    },
  };
}

export async function listenTcp(opts: TcpListenOptions, onLink: (l: Link) => void): Promise<Listener> {
  const d = deno();
  const tls = opts.tls;
  if (tls?.ca) throw new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: Deno's TLS listener cannot ask for client certificates (mTLS)`);
  let listener;
  try {
    listener = tls ? d.listenTls({ hostname: opts.host, port: opts.port, cert: tls.cert, key: tls.key }) : d.listen({ hostname: opts.host, port: opts.port });
  } catch (err) {
    throw new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: ${message(err)}`);
  }
  const links = new Set<Link>();
  const accept = async (conn: DenoConn) => {
    // A TLS client becomes a link only once its handshake is through.
    if (conn.handshake) {
      let t: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([conn.handshake(), new Promise((_, reject) => (t = setTimeout(() => reject(new Error("handshake timeout")), HANDSHAKE_MS)))]);
      } catch {
        conn.close();
        return;
      } finally {
        clearTimeout(t);
      }
    }
    const link = connLink(conn);
    links.add(link);
    void link.closed.then(() => links.delete(link));
    onLink(link);
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) void accept(conn);
    } catch {
      // the listener was closed
    }
  })();
  return {
    host: opts.host,
    port: listener.addr.port,
    close: async () => {
      listener.close();
      for (const l of links) l.close("listener closed");
      // The socket is let go only once the pending accept has ended: until then a dial is reset, not refused.
      await accepting;
    },
  };
}

export async function dialTcp(opts: TcpDialOptions): Promise<Link> {
  const d = deno();
  const target = formatHostPort(opts.host, opts.port);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const t = opts.tls;
  if (t?.rejectUnauthorized === false) throw new LinkError(`${target}: Deno.connectTls cannot skip certificate verification`);
  const connecting = (async () => {
    const conn = t
      ? await d.connectTls({
          hostname: opts.host,
          port: opts.port,
          ...(t.ca ? { caCerts: [t.ca] } : {}),
          ...(t.cert && t.key ? { cert: t.cert, key: t.key } : {}),
          unsafelyDisableHostnameVerification: t.checkServerName === false,
        })
      : await d.connect({ hostname: opts.host, port: opts.port });
    try {
      await conn.handshake?.();
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs / 1000} s`)), timeoutMs)));
  try {
    return connLink(await Promise.race([connecting, timeout]));
  } catch (err) {
    // A connection that arrives after the timeout is not wanted any more.
    void connecting.then((c) => c.close(), () => {});
    throw new LinkError(`${target}: ${message(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
