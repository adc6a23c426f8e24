// TCP and TLS through node:net / node:tls: the fallback that every runtime has.
import net from "node:net";
import tls from "node:tls";
import { type CloseInfo, formatHostPort, type Link, LinkError } from "../link.ts";
import type { Listener, TcpDialOptions, TcpListenOptions } from "../sockets.ts";

/** A node socket seen as a Link; the readable pauses the socket while its consumer is behind. */
export function socketLink(socket: net.Socket): Link {
  const remote = formatHostPort(socket.remoteAddress ?? "unknown", socket.remotePort ?? 0);
  socket.setNoDelay(true);
  let why: string | undefined;
  const closed = new Promise<CloseInfo>((resolve) => socket.once("close", (hadError) => resolve({ reason: why ?? (hadError ? "socket error" : "peer closed") })));
  let readClosed = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (chunk: Buffer) => {
        if (readClosed) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      const finish = () => {
        if (readClosed) return;
        readClosed = true;
        try {
          controller.close();
        } catch {
          // already errored or cancelled
        }
      };
      socket.once("end", finish);
      socket.once("close", finish);
      socket.on("error", (err) => {
        why ??= err.message;
        finish();
      });
    },
    pull() {
      socket.resume();
    },
    cancel() {
      readClosed = true;
      socket.destroy();
    },
  }, { highWaterMark: 16 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) return Promise.reject(new LinkError(`${remote}: socket closed`));
      return new Promise<void>((resolve, reject) => {
        socket.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
    },
    close() {
      socket.end();
    },
    abort() {
      socket.destroy();
    },
  });
  return {
    readable,
    writable,
    remote,
    closed,
    close: (reason) => {
      why ??= reason;
      socket.destroy();
    },
  };
}

export function listenTcp(opts: TcpListenOptions, onLink: (l: Link) => void): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const accept = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Errors surface through the streams; an unhandled 'error' event would crash the process.
    socket.on("error", () => {});
    onLink(socketLink(socket));
  };
  const server = opts.tls
    ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.ca ? { ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true } : {}) }, accept)
    : net.createServer(accept);
  // A failed TLS handshake is that client's problem, not the server's.
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: ${err.message}`)));
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.removeAllListeners("error");
      server.on("error", () => {});
      const addr = server.address();
      resolve({
        host: opts.host,
        port: typeof addr === "object" && addr ? addr.port : opts.port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export function dialTcp(opts: TcpDialOptions): Promise<Link> {
  const target = formatHostPort(opts.host, opts.port);
  return new Promise((resolve, reject) => {
    const t = opts.tls;
    const socket = t
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          ca: t.ca,
          cert: t.cert,
          key: t.key,
          rejectUnauthorized: t.rejectUnauthorized ?? true,
          // No SNI for an address; Huawei's leaf certificates carry no usable name either.
          ...(net.isIP(opts.host) ? {} : { servername: opts.host }),
          ...(t.checkServerName === false ? { checkServerIdentity: () => undefined } : {}),
        })
      : net.connect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LinkError(`${target}: no connection within ${(opts.timeoutMs ?? 10_000) / 1000} s`));
    }, opts.timeoutMs ?? 10_000);
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(new LinkError(`${target}: ${err.message}`));
    });
    socket.once(t ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.on("error", () => {});
      resolve(socketLink(socket));
    });
  });
}
