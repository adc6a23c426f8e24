// UDP as Links: one link per peer address, demultiplexed from one bound socket. A chunk is one
// datagram in both directions. UDP has no back-pressure, so each peer's queue is bounded in bytes
// (past it the newest datagrams are dropped and counted), the number of peers is bounded (a
// flood of spoofed sources cannot grow memory), and a peer silent for `idleMs` is let go.
import { type CloseInfo, formatHostPort, type Link, LinkError } from "./link.ts";
import { sockets } from "./runtime/select.ts";
import type { Datagram, UdpSocketOptions } from "./sockets.ts";

export type { Datagram } from "./sockets.ts";

export interface UdpOptions extends UdpSocketOptions {
  /** Bytes of datagrams held per peer while its consumer is slow (default 256 KiB). */
  queueBytes?: number;
  /** Peers with a live link, at most; datagrams from further ones are dropped (default 4096). */
  maxPeers?: number;
  /** A peer that sends nothing for this long has its link closed (default 10 min; 0 = never). */
  idleMs?: number;
}

/** One peer's link; its address and port are those of the datagrams it carries. */
export interface UdpLink extends Link {
  readonly address: string;
  readonly port: number;
}

/** A peer link's datagrams with their source, for protocols that route by content, not by peer. */
export function datagrams(link: UdpLink): ReadableStream<Datagram> {
  const { address, port } = link;
  return link.readable.pipeThrough(new TransformStream<Uint8Array, Datagram>({ transform: (data, c) => c.enqueue({ data, address, port }) }));
}

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
  /** Datagrams dropped: a peer's queue was full, or there was no room for another peer. */
  readonly dropped: number;
  readonly peers: number;
  /** Sends to any address (broadcasts included), outside any peer's link. */
  send(data: Uint8Array, address: string, port: number): Promise<void>;
  close(): Promise<void>;
}

interface Peer {
  controller: ReadableStreamDefaultController<Uint8Array>;
  lastRx: number;
  end(reason: string): void;
}

export async function openUdp(opts: UdpOptions, onLink: (link: UdpLink) => void): Promise<UdpEndpoint> {
  const peers = new Map<string, Peer>();
  const maxPeers = opts.maxPeers ?? 4096;
  const queueBytes = opts.queueBytes ?? 256 * 1024;
  let dropped = 0;
  let closing = false;
  const adapter = await sockets();

  const newPeer = (key: string, address: string, port: number): Peer | undefined => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let resolveClosed: (c: CloseInfo) => void = () => {};
    const closed = new Promise<CloseInfo>((r) => (resolveClosed = r));
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      peers.delete(key);
      try {
        controller?.close();
      } catch {
        // the consumer cancelled already
      }
      resolveClosed({ reason });
    };
    const readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (controller = c),
        cancel: () => end("consumer cancelled"),
      },
      // +64 per entry: even empty datagrams are bounded.
      { highWaterMark: queueBytes, size: (d) => (d?.byteLength ?? 0) + 64 },
    );
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => (ended ? Promise.reject(new LinkError(`${key}: link closed`)) : udp.send(chunk, address, port)),
    });
    if (!controller) return undefined;
    const peer: Peer = { controller, lastRx: Date.now(), end };
    peers.set(key, peer);
    onLink({ readable, writable, remote: key, address, port, closed, close: (reason) => end(reason ?? "closed") });
    return peer;
  };

  const onDatagram = (d: Datagram) => {
    if (closing) return;
    const key = formatHostPort(d.address, d.port);
    let peer = peers.get(key);
    if (!peer) {
      if (peers.size >= maxPeers) {
        dropped++;
        return;
      }
      peer = newPeer(key, d.address, d.port);
      if (!peer) return;
    }
    peer.lastRx = Date.now();
    if ((peer.controller.desiredSize ?? 1) <= 0) {
      dropped++;
      return;
    }
    peer.controller.enqueue(d.data);
  };

  const udp = await adapter.bindUdp(opts, onDatagram);
  const idleMs = opts.idleMs ?? 600_000;
  const sweeper = idleMs > 0
    ? setInterval(() => {
        const now = Date.now();
        for (const p of [...peers.values()]) if (now - p.lastRx > idleMs) p.end("idle");
      }, Math.min(idleMs, 60_000))
    : undefined;
  // A background sweep must not keep a finished process alive.
  if (sweeper && typeof sweeper === "object" && "unref" in sweeper) sweeper.unref();

  return {
    address: udp.address,
    port: udp.port,
    get dropped() {
      return dropped;
    },
    get peers() {
      return peers.size;
    },
    send: (data, address, port) => udp.send(data, address, port),
    close: async () => {
      if (closing) return;
      closing = true;
      if (sweeper) clearInterval(sweeper);
      for (const p of [...peers.values()]) p.end("socket closed");
      await udp.close();
    },
  };
}
