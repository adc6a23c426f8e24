// An AF_PACKET socket driven through a handful of libc calls, whichever FFI supplies them (bun:ffi
// or Deno.dlopen). Linux only. Receiving polls a non-blocking socket on a short timer: neither FFI
// can hand a raw file descriptor to the event loop, and a blocking recv would stall it.
import { readFileSync } from "node:fs";
import { LinkError } from "../link.ts";

export interface RawEthernetOptions {
  /** Interface name, e.g. eth0. */
  interface: string;
  /** Only frames of this ethertype are received (e.g. 0x88B8 for GOOSE; VLAN-tagged ones arrive untagged). */
  ethertype: number;
  /** How often the socket is read (default 5 ms). */
  pollMs?: number;
}

export interface RawEthernet {
  readonly interface: string;
  /** The interface's own MAC address. */
  readonly mac: Uint8Array;
  /** Frames received so far. */
  readonly received: number;
  /** Every received frame (Ethernet header included) goes to each handler, as it comes. */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /** Sends one whole frame (Ethernet header included); throws a LinkError when the kernel refuses it. */
  send(frame: Uint8Array): void;
  close(): void;
}

/** The libc calls an FFI binding must provide. Buffers are passed as pointers to their bytes. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, length: number): number;
  send(fd: number, buf: Uint8Array, length: number, flags: number): number;
  recv(fd: number, buf: Uint8Array, length: number, flags: number): number;
  close(fd: number): number;
  /** NUL-terminated interface name → index (0 = no such interface). */
  ifNameToIndex(name: Uint8Array): number;
  /** errno of the last failed call. */
  errno(): number;
}

const AF_PACKET = 17;
const SOCK_RAW = 3;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const MAX_FRAME = 2048;
/** Frames taken per poll at most, so a flood cannot hold the event loop. */
const MAX_PER_POLL = 64;

const ERRNO: Record<number, string> = {
  1: "operation not permitted: raw Ethernet needs root or CAP_NET_RAW",
  13: "permission denied: raw Ethernet needs root or CAP_NET_RAW",
  19: "no such device",
  22: "invalid argument",
  90: "frame too long",
  97: "address family AF_PACKET not supported",
  100: "network is down",
  105: "no buffer space",
};

function errnoText(n: number): string {
  return `${ERRNO[n] ?? "error"} (errno ${n})`;
}

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** `htons`: the protocol numbers AF_PACKET takes are in network byte order. */
function htons(n: number): number {
  return littleEndian ? ((n & 0xff) << 8) | ((n >> 8) & 0xff) : n & 0xffff;
}

/** struct sockaddr_ll (20 bytes): family, protocol (network order), interface index, the rest 0. */
function sockaddrLl(ifindex: number, ethertype: number): Uint8Array {
  const out = new Uint8Array(20);
  const v = new DataView(out.buffer);
  v.setUint16(0, AF_PACKET, littleEndian);
  v.setUint16(2, ethertype & 0xffff, false);
  v.setInt32(4, ifindex, littleEndian);
  return out;
}

export function interfaceMac(name: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(`/sys/class/net/${name}/address`, "utf8").trim();
  } catch {
    throw new LinkError(`interface "${name}": no such network interface`);
  }
  const bytes = text.split(":").map((h) => parseInt(h, 16));
  if (bytes.length !== 6 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new LinkError(`interface "${name}": no Ethernet address (${text})`);
  return Uint8Array.from(bytes);
}

export function openPacketSocket(libc: Libc, opts: RawEthernetOptions): RawEthernet {
  const name = opts.interface;
  const mac = interfaceMac(name);
  const index = libc.ifNameToIndex(new TextEncoder().encode(`${name}\0`));
  if (index === 0) throw new LinkError(`interface "${name}": no such network interface`);
  const fd = libc.socket(AF_PACKET, SOCK_RAW, htons(opts.ethertype));
  if (fd < 0) throw new LinkError(`raw socket on ${name}: ${errnoText(libc.errno())}`);
  const addr = sockaddrLl(index, opts.ethertype);
  if (libc.bind(fd, addr, addr.length) !== 0) {
    const e = libc.errno();
    libc.close(fd);
    throw new LinkError(`raw socket on ${name}: bind: ${errnoText(e)}`);
  }
  const handlers: ((frame: Uint8Array) => void)[] = [];
  const buf = new Uint8Array(MAX_FRAME);
  let open = true;
  let received = 0;
  const poll = () => {
    for (let i = 0; i < MAX_PER_POLL && open; i++) {
      const n = libc.recv(fd, buf, buf.length, MSG_DONTWAIT);
      if (n <= 0) return;
      received++;
      const frame = buf.slice(0, n);
      for (const h of handlers) h(frame);
    }
  };
  const timer = setInterval(poll, opts.pollMs ?? 5);
  return {
    interface: name,
    mac,
    get received() {
      return received;
    },
    onFrame: (h) => void handlers.push(h),
    send(frame) {
      if (!open) throw new LinkError(`raw socket on ${name} is closed`);
      const n = libc.send(fd, frame, frame.length, MSG_DONTWAIT);
      if (n < 0) {
        const e = libc.errno();
        throw new LinkError(`send on ${name}: ${e === EAGAIN ? "transmit queue full" : errnoText(e)}`);
      }
    },
    close() {
      if (!open) return;
      open = false;
      clearInterval(timer);
      libc.close(fd);
    },
  };
}
