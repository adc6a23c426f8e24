// A serial line on Bun: Bun reads a non-blocking tty descriptor by polling it in its event loop
// (its node:tty cannot: it reads like a file and fails with EAGAIN).
import { type Link, LinkError } from "../link.ts";
import type { SerialOptions } from "../sockets.ts";
import { fdLink } from "./serial-fd.ts";
import { openLine } from "./serial-line.ts";

export async function openSerial(opts: SerialOptions): Promise<Link> {
  const fd = await openLine(opts);
  const reader = Bun.file(fd).stream().getReader();
  return fdLink(fd, opts.path, opts.baud, {
    async read() {
      const r = await reader.read();
      if (r.done) return null;
      if (!(r.value instanceof Uint8Array)) throw new LinkError(`${opts.path}: unexpected chunk from the device stream`);
      return r.value;
    },
    cancel: () => reader.cancel(),
  });
}
