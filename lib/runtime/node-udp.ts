// UDP through node:dgram.
import dgram from "node:dgram";
import { formatHostPort, LinkError } from "../link.ts";
import type { Datagram, UdpSocket, UdpSocketOptions } from "../sockets.ts";

/** The kernel default (~200 KiB) overflows when hundreds of chargers push status at once. */
export const NODE_UDP_RECV_BUFFER = 1 << 20;

export function bindUdp(opts: UdpSocketOptions, onDatagram: (d: Datagram) => void, recvBufferBytes?: number): Promise<UdpSocket> {
  // No reuseAddr: a second bridge on the same port must fail loudly, not silently steal half the traffic.
  const sock = dgram.createSocket({ type: "udp4" });
  let closed = false;
  sock.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    if (!closed) onDatagram({ data: ownBytes(msg), address: rinfo.address, port: rinfo.port });
  });
  return new Promise((resolve, reject) => {
    sock.once("error", (err) => reject(new LinkError(`cannot bind UDP ${formatHostPort(opts.bind, opts.port)}: ${err.message}`)));
    sock.bind(opts.port, opts.bind, () => {
      sock.removeAllListeners("error");
      // A send failure (e.g. host unreachable) surfaces through send(); an unhandled 'error' would crash.
      sock.on("error", () => {});
      if (recvBufferBytes) {
        try {
          sock.setRecvBufferSize(recvBufferBytes);
        } catch {
          // not supported everywhere; the default buffer still works
        }
      }
      if (opts.broadcast) {
        try {
          sock.setBroadcast(true);
        } catch {
          // some runtimes refuse on loopback-only binds; sending unicast still works
        }
      }
      const local = sock.address();
      resolve({
        address: local.address,
        port: local.port,
        send: async (data, address, port) => {
          // Bun reports an ICMP "port unreachable" left by an earlier datagram (any peer's) as
          // ECONNREFUSED from the next send, which then sent nothing: that send is made again, so
          // one vanished charger cannot fail the sends to the others.
          for (let refused = 0; ; refused++) {
            if (closed) throw new LinkError("udp socket closed");
            const err = await new Promise<Error | null>((done) => sock.send(data, port, address, (e) => done(e)));
            if (!err) return;
            if (refused >= 2 || !("code" in err) || err.code !== "ECONNREFUSED") throw err;
          }
        },
        close: () =>
          new Promise<void>((done) => {
            if (closed) return done();
            closed = true;
            sock.close(() => done());
          }),
      });
    });
  });
}

/**
 * The datagram as bytes of its own. Deno's node:dgram hands each one as a view into a fresh 64 KiB
 * receive buffer (Node's into a shared 8 KiB pool): a view kept for a while, e.g. queued for a
 * charger's session while MQTT is slow, would hold all of it (hundreds of chargers × a queue of
 * datagrams × 64 KiB). A copy of a ~100-byte datagram is cheap; Bun's come exact and stay views.
 */
function ownBytes(msg: Buffer): Uint8Array {
  if (msg.byteOffset === 0 && msg.byteLength === msg.buffer.byteLength) return new Uint8Array(msg.buffer, 0, msg.byteLength);
  return new Uint8Array(msg);
}
