import net from "node:net";

/** A socket seen as Web Streams, the only shape codecs and drivers deal with. */
export interface Connection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly remote: string;
  /** Resolves once the socket is fully closed, whichever side closed it. */
  readonly closed: Promise<void>;
  close(): void;
}

export interface TcpServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port` or `:port`; a bare host gets `defaultPort`. */
export function parseHostPort(s: string, defaultPort?: number): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*?))(?::(\d+))?$/.exec(s.trim()) ?? /^()([^[\]]*):(\d+)$/.exec(s.trim());
  const host = m?.[1] ?? m?.[2] ?? "";
  const portText = m?.[3];
  const port = portText !== undefined ? Number(portText) : defaultPort;
  if (!m || port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`expected host:port (IPv6 in brackets, e.g. [::]:9091), got "${s}"`);
  }
  return { host: host === "" ? "0.0.0.0" : host, port };
}

export function socketToConnection(socket: net.Socket): Connection {
  const remote = socket.remoteAddress?.includes(":") ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`;
  socket.setNoDelay(true);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
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
      socket.on("error", () => finish());
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
      if (socket.destroyed) return Promise.reject(new Error("socket closed"));
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
  return { readable, writable, remote, closed, close: () => socket.destroy() };
}

export function listenTcp(listen: HostPort, onConnection: (c: Connection) => void): Promise<TcpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Errors surface through the streams; an unhandled 'error' event would crash the process.
    socket.on("error", () => {});
    onConnection(socketToConnection(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off("error", reject);
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : listen.port;
      resolve({
        host: listen.host,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export function connectTcp(target: HostPort): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socketToConnection(socket));
    });
  });
}
