// A serial line on Deno. Deno reads files and ttys (Deno.open, and node:tty beneath) with a blocking
// read on a worker thread, which close() cannot interrupt: it lingers, steals the first bytes meant
// for the reopened line, and holds up writes on the same file. So the non-blocking descriptor is
// polled with node:fs instead: every millisecond while the line is busy (bytes came, or we just
// wrote and expect an answer), backing off to every 20 ms once it has been quiet for a while. Writes go to a second, write-only Deno.open file: its writes wait on a
// worker thread and report partial writes (Deno's node:fs writes block the event loop on a blocking
// descriptor, and on a non-blocking one lose the count of a partial write that ends in EAGAIN).
import { errorMessage } from "../errors.ts";
import fs from "node:fs";
import { type Link, LinkError } from "../link.ts";
import type { SerialOptions } from "../sockets.ts";
import { deno, type DenoFsFile } from "./deno-api.ts";
import { fdLink } from "./serial-fd.ts";
import { openLine } from "./serial-line.ts";

const BUSY_POLL_MS = 1;
const QUIET_POLL_MS = 20;
/** How long after the last byte in or out the line counts as busy. */
const BUSY_FOR_MS = 200;

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
    throw new LinkError(`${opts.path}: cannot open serial device for writing: ${errorMessage(err)}`);
  }
  let cancelled = false;
  let wake: (() => void) | undefined;
  let lastActivity = performance.now();
  let inFlight: Promise<unknown> = Promise.resolve();
  const buf = new Uint8Array(4096);
  const source = {
    async read() {
      while (!cancelled) {
        const attempt = readOnce(fd, buf);
        inFlight = attempt.catch(() => {});
        const n = await attempt;
        if (n === 0) return null;
        if (n !== "again") {
          lastActivity = performance.now();
          return buf.slice(0, n);
        }
        const wait = performance.now() - lastActivity < BUSY_FOR_MS ? BUSY_POLL_MS : QUIET_POLL_MS;
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
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
    write: (chunk: Uint8Array) => {
      // An answer is likely on its way: poll busily from now on.
      lastActivity = performance.now();
      wake?.();
      return out.write(chunk);
    },
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
