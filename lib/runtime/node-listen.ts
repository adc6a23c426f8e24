// Starting and stopping a node:net / node:http server the same way for every node-based adapter:
// a failed listen names the address, and closing the listener also ends every open connection.
import type net from "node:net";
import { formatHostPort, LinkError } from "../link.ts";
import type { Listener, TcpListenOptions } from "../sockets.ts";

/** Keeps the server's open connections, so close() can end them (idle keep-alives and streams too). */
export function trackConnections(server: net.Server): Set<net.Socket> {
  const open = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    open.add(s);
    s.once("close", () => open.delete(s));
  });
  // TLS connections are tracked from their raw socket; a failed handshake is that client's problem.
  server.on("tlsClientError", () => {});
  return open;
}

/** `beforeClose` ends what the connections carry (e.g. WebSockets) before they are destroyed. */
export function listenOn(server: net.Server, opts: Pick<TcpListenOptions, "host" | "port">, open: Set<net.Socket>, beforeClose?: () => void): Promise<Listener> {
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
            beforeClose?.();
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
