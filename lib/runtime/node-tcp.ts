// TCP and TLS through node:net / node:tls: the fallback that every runtime has.
import net from "node:net";
import tls from "node:tls";
import { formatHostPort, type Link, LinkError } from "../link.ts";
import type { Listener, TcpDialOptions, TcpListenOptions, TlsServerOptions } from "../sockets.ts";
import { listenOn, trackConnections } from "./node-listen.ts";
import { streamLink } from "./node-stream-link.ts";

/** A node socket seen as a Link; the readable pauses the socket while its consumer is behind. */
export function socketLink(socket: net.Socket): Link {
  socket.setNoDelay(true);
  return streamLink(socket, formatHostPort(socket.remoteAddress ?? "unknown", socket.remotePort ?? 0));
}

/** node:tls server options: with a client CA, clients must present a certificate it signed (mTLS). */
export function nodeTlsServerOptions(t: TlsServerOptions): tls.TlsOptions {
  return { cert: t.cert, key: t.key, ...(t.ca ? { ca: t.ca, requestCert: true, rejectUnauthorized: true } : {}) };
}

export function listenTcp(opts: TcpListenOptions, onLink: (l: Link) => void): Promise<Listener> {
  const accept = (socket: net.Socket) => {
    // Errors surface through the streams; an unhandled 'error' event would crash the process.
    socket.on("error", () => {});
    onLink(socketLink(socket));
  };
  const server = opts.tls ? tls.createServer(nodeTlsServerOptions(opts.tls), accept) : net.createServer(accept);
  return listenOn(server, opts, trackConnections(server));
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
