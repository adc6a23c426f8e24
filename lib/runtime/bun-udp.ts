// UDP on Bun's own socket (Bun.udpSocket). Bun reads datagrams in batches; a send the kernel cannot
// take right now is retried on `drain`. Bun reports an ICMP "port unreachable" left by an earlier
// datagram (any peer's) as ECONNREFUSED from the next send, which then sent nothing: that send is
// simply made again, so one vanished charger cannot fail the sends to the others.
import { errorMessage } from "../errors.ts";
import { formatHostPort, LinkError } from "../link.ts";
import type { Datagram, UdpSocket, UdpSocketOptions } from "../sockets.ts";

export async function bindUdp(opts: UdpSocketOptions, onDatagram: (d: Datagram) => void): Promise<UdpSocket> {
  let closed = false;
  const waiting: (() => void)[] = [];
  let sock: Bun.udp.Socket<"uint8array">;
  try {
    sock = await Bun.udpSocket({
      hostname: opts.bind,
      port: opts.port,
      binaryType: "uint8array",
      socket: {
        data: (_s, data, port, address) => {
          if (!closed) onDatagram({ data, address, port });
        },
        drain: () => {
          for (const wake of waiting.splice(0)) wake();
        },
        // Errors surface through send(); without a handler they would be thrown out of the loop.
        error: () => {},
      },
    });
  } catch (err) {
    throw new LinkError(`cannot bind UDP ${formatHostPort(opts.bind, opts.port)}: ${errorMessage(err)}`);
  }
  if (opts.broadcast) {
    try {
      sock.setBroadcast(true);
    } catch {
      // some systems refuse on loopback-only binds; sending unicast still works
    }
  }
  const send = async (data: Uint8Array, address: string, port: number): Promise<void> => {
    for (let refused = 0; ; ) {
      if (closed) throw new LinkError("udp socket closed");
      let sent: boolean;
      try {
        sent = sock.send(data, port, address);
      } catch (err) {
        if (refused++ < 2 && err && typeof err === "object" && "code" in err && err.code === "ECONNREFUSED") continue;
        throw err;
      }
      if (sent) return;
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  return {
    address: sock.hostname,
    port: sock.port,
    send,
    close: async () => {
      if (closed) return;
      closed = true;
      sock.close();
      for (const wake of waiting.splice(0)) wake();
    },
  };
}
