// A serial line on Deno. Deno reads files and ttys (Deno.open, and node:tty beneath) with a blocking
// read on a worker thread, which close() cannot interrupt: it lingers, steals the first bytes meant
// for the reopened line, and holds up writes on the same file. So the non-blocking descriptor is
// polled with node:fs instead: reads run back to back while bytes come, and back off (2 → 20 ms)
// while the line is quiet. Writes go to a second, write-only Deno.open file: its writes wait on a
// worker thread and report partial writes (Deno's node:fs writes block the event loop on a blocking
// descriptor, and on a non-blocking one lose the count of a partial write that ends in EAGAIN).
import fs from "node:fs";
import { type Link, LinkError } from "../link.ts";
import type { SerialOptions } from "../sockets.ts";
import { deno, type DenoFsFile } from "./deno-api.ts";
import { fdLink } from "./serial-fd.ts";
import { openLine } from "./serial-line.ts";

const QUIET_MIN_MS = 2;
const QUIET_MAX_MS = 20;

function readOnce(fd: number, buf: Uint8Array): Promise<number | "again"> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, buf.length, null, (err, n) => {
      if (!err) resolve(n);
      else if (err.code === "EAGAIN") resolve("again");
      else reject(err);
    });
  });
}

export async function openSerial(opts: SerialOptions): Promise<Link> {
  const fd = await openLine(opts);
  let out: DenoFsFile;
  try {
    out = await deno().open(opts.path, { write: true });
  } catch (err) {
    fs.close(fd, () => {});
    throw new LinkError(`${opts.path}: cannot open serial device for writing: ${err instanceof Error ? err.message : String(err)}`);
  }
  let cancelled = false;
  let wake: (() => void) | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  const buf = new Uint8Array(4096);
  const source = {
    async read() {
      let wait = QUIET_MIN_MS;
      while (!cancelled) {
        const attempt = readOnce(fd, buf);
        inFlight = attempt.catch(() => {});
        const n = await attempt;
        if (n === 0) return null;
        if (n !== "again") return buf.slice(0, n);
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        wait = Math.min(QUIET_MAX_MS, wait * 2);
      }
      return null;
    },
    cancel: async () => {
      cancelled = true;
      wake?.();
      await inFlight;
    },
  };
  const sink = {
    write: (chunk: Uint8Array) => out.write(chunk),
    close: () => {
      try {
        out.close();
      } catch {
        // already closed
      }
    },
  };
  return fdLink(fd, opts.path, opts.baud, source, sink);
}
