// Raw Ethernet frames (AF_PACKET) for protocols that live below IP, such as IEC 61850 GOOSE. Linux
// only, root or CAP_NET_RAW only, and only through the runtime's FFI (bun:ffi, Deno.dlopen): the
// runtimes have no packet sockets of their own. `openRawEthernet` either gives a socket or rejects
// with a LinkError that says which of those conditions failed, so callers can report it plainly.
import { errorMessage } from "./errors.ts";
import { LinkError } from "./link.ts";
import { isDeno } from "./runtime.ts";

export type { RawEthernet, RawEthernetOptions } from "./runtime/raw-ethernet-linux.ts";
import type { RawEthernet, RawEthernetOptions } from "./runtime/raw-ethernet-linux.ts";

declare const Bun: unknown;

/** Opens a packet socket on `opts.interface`; rejects with a LinkError naming what is missing. */
export async function openRawEthernet(opts: RawEthernetOptions): Promise<RawEthernet> {
  if (process.platform !== "linux") throw new LinkError(`raw Ethernet needs Linux (AF_PACKET); this is ${process.platform}`);
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(opts.interface)) throw new LinkError(`"${opts.interface}" is not a network interface name`);
  let libc;
  try {
    if (typeof Bun !== "undefined") libc = (await import("./runtime/raw-ethernet-bun.ts")).bunLibc();
    else if (isDeno()) libc = (await import("./runtime/raw-ethernet-deno.ts")).denoLibc();
    else throw new Error("this runtime has no FFI the bridge can use (Bun or Deno needed)");
  } catch (err) {
    throw new LinkError(`raw Ethernet unavailable: ${errorMessage(err)}`);
  }
  const { openPacketSocket } = await import("./runtime/raw-ethernet-linux.ts");
  return openPacketSocket(libc, opts);
}
