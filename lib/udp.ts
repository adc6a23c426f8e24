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

/** What every peer of one endpoint shares. */
interface PeerHost {
  peers: Map<string, UdpPeer>;
  send(data: Uint8Array, address: string, port: number): Promise<void>;
}

/** +64 per entry: even empty datagrams are bounded. */
const datagramSize = (d: Uint8Array | undefined) => (d?.byteLength ?? 0) + 64;

/**
 * One peer's link, and its readable's source: a class, so its methods cost a peer nothing (the
 * bridge holds one per charger host).
 */
class UdpPeer implements UdpLink, UnderlyingDefaultSource<Uint8Array> {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly closed: Promise<CloseInfo>;
  controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  lastRx = Date.now();
  ended = false;
  private resolveClosed: (c: CloseInfo) => void = () => {};

  constructor(private readonly host: PeerHost, readonly remote: string, readonly address: string, readonly port: number, queueBytes: number) {
    this.closed = new Promise<CloseInfo>((r) => (this.resolveClosed = r));
    this.readable = new ReadableStream<Uint8Array>(this, { highWaterMark: queueBytes, size: datagramSize });
    this.writable = new WritableStream<Uint8Array>(new PeerSink(this));
  }

  start(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = c;
  }

  cancel(): void {
    this.end("consumer cancelled");
  }

  close(reason?: string): void {
    this.end(reason ?? "closed");
  }

  send(chunk: Uint8Array): Promise<void> {
    return this.ended ? Promise.reject(new LinkError(`${this.remote}: link closed`)) : this.host.send(chunk, this.address, this.port);
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.host.peers.delete(this.remote);
    try {
      this.controller?.close();
    } catch {
      // the consumer cancelled already
    }
    this.resolveClosed({ reason });
  }
}

/** The writable's sink: its own object, since a sink's `close` is not the link's. */
class PeerSink implements UnderlyingSink<Uint8Array> {
  constructor(private readonly peer: UdpPeer) {}

  write(chunk: Uint8Array): Promise<void> {
    return this.peer.send(chunk);
  }
}

export async function openUdp(opts: UdpOptions, onLink: (link: UdpLink) => void): Promise<UdpEndpoint> {
  const peers = new Map<string, UdpPeer>();
  const maxPeers = opts.maxPeers ?? 4096;
  const queueBytes = opts.queueBytes ?? 256 * 1024;
  let dropped = 0;
  let closing = false;
  const adapter = await sockets();
  const host: PeerHost = { peers, send: (data, address, port) => udp.send(data, address, port) };

  const newPeer = (key: string, address: string, port: number): UdpPeer | undefined => {
    const peer = new UdpPeer(host, key, address, port, queueBytes);
    if (!peer.controller) return undefined;
    peers.set(key, peer);
    onLink(peer);
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
    const controller = peer.controller;
    if (!controller || (controller.desiredSize ?? 1) <= 0) {
      dropped++;
      return;
    }
    controller.enqueue(d.data);
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
