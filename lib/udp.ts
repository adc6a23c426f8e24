import dgram from "node:dgram";
import { isDeno } from "./runtime.ts";

/** One received datagram and where it came from. */
export interface Datagram {
  data: Uint8Array;
  address: string;
  port: number;
}

export interface UdpOptions {
  /** Local address; "0.0.0.0" to hear broadcasts on every interface. */
  bind: string;
  /** 0 lets the OS pick (tests, simulators). */
  port: number;
  broadcast?: boolean;
  /** Bytes of datagrams held while the consumer is slow; past this the newest are dropped (UDP is lossy anyway). */
  queueBytes?: number;
}

/** A UDP socket seen as a Web stream of datagrams plus a send function, the only shape drivers deal with. */
export interface UdpSocket {
  readonly readable: ReadableStream<Datagram>;
  readonly address: string;
  readonly port: number;
  /** Count of datagrams dropped because the reader fell behind. */
  readonly dropped: number;
  send(data: Uint8Array, address: string, port: number): Promise<void>;
  close(): Promise<void>;
}

export function openUdp(opts: UdpOptions): Promise<UdpSocket> {
  // No reuseAddr: a second bridge on the same port must fail loudly, not silently steal half the traffic.
  const sock = dgram.createSocket({ type: "udp4" });
  let closed = false;
  let dropped = 0;
  const readable = new ReadableStream<Datagram>(
    {
      start(controller) {
        sock.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => {
          if (closed) return;
          if ((controller.desiredSize ?? 1) <= 0) {
            dropped++;
            return;
          }
          controller.enqueue({ data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), address: rinfo.address, port: rinfo.port });
        });
        sock.once("close", () => {
          closed = true;
          try {
            controller.close();
          } catch {
            // already cancelled by the reader
          }
        });
      },
      cancel() {
        closed = true;
        try {
          sock.close();
        } catch {
          // already closed
        }
      },
    },
    // Counted in bytes: real datagrams are ~100 bytes (so ~10 000 fit, riding out bursts from many
    // chargers), while a flood of 64 KiB junk datagrams still cannot hold more than this; +64 is
    // the per-entry overhead, so even empty datagrams are bounded.
    { highWaterMark: opts.queueBytes ?? 1 << 20, size: (d) => (d?.data.byteLength ?? 0) + 64 },
  );
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(opts.port, opts.bind, () => {
      sock.off("error", reject);
      // A send failure (e.g. host unreachable) surfaces through send(); an unhandled 'error' would crash.
      sock.on("error", () => {});
      // The kernel default (~200 KiB) overflows when hundreds of chargers push status at once. Not on
      // Deno: its node:dgram then reads into buffers of that size, which make bench showed costs
      // ~4× the throughput and ~2.5× the memory per charger.
      if (!isDeno()) {
        try {
          sock.setRecvBufferSize(1 << 20);
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
        readable,
        address: local.address,
        port: local.port,
        get dropped() {
          return dropped;
        },
        send: (data, address, port) =>
          new Promise<void>((done, fail) => {
            if (closed) return fail(new Error("udp socket closed"));
            sock.send(data, port, address, (err) => (err ? fail(err) : done()));
          }),
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
