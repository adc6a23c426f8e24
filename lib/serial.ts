// Serial lines as Links: a device path opened raw at the given baud, 8N1. The link closes when the
// device goes away (USB unplugged), so keepDialing (lib/dialer.ts) can open it again.
import type { Link } from "./link.ts";
import { sockets } from "./runtime/select.ts";
import type { SerialOptions } from "./sockets.ts";

export type { SerialOptions } from "./sockets.ts";

/** Rejects with a LinkError naming the device when it cannot be opened or configured. */
export async function openSerial(opts: SerialOptions): Promise<Link> {
  return (await sockets()).openSerial(opts);
}
