// A serial line's non-blocking descriptor as a Link, given where its bytes come from and go to
// (each runtime reads and writes a tty its own way). A write the line cannot take yet ("again") is
// retried after about the time the line needs to send it.
import { errorMessage } from "../errors.ts";
import fs from "node:fs";
import { type CloseInfo, type Link, LinkError } from "../link.ts";

/** One runtime's way of reading the line: the next bytes, or null at end of file. */
export interface ByteSource {
  read(): Promise<Uint8Array | null>;
  /** Stops reading; resolves once no read can touch the descriptor any more. */
  cancel(): Promise<void>;
}

/** One runtime's way of writing the line: bytes taken (maybe fewer than given), or "again". */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<number | "again">;
  close(): void;
}

const message = errorMessage;

/** Writes through node:fs on the non-blocking descriptor itself (Bun reports partial writes truly). */
export function fsSink(fd: number): ByteSink {
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        fs.write(fd, chunk, 0, chunk.length, null, (err, n) => {
          if (!err) resolve(n);
          else if (err.code === "EAGAIN") resolve("again");
          else reject(err);
        });
      }),
    close: () => {},
  };
}

export function fdLink(fd: number, path: string, baud: number, source: ByteSource, sink: ByteSink = fsSink(fd)): Link {
  let ended = false;
  // The descriptor is closed only once no read or write can still reach it: a late one on a reused
  // descriptor number would take bytes from (or give bytes to) the reopened line.
  let writing: Promise<unknown> = Promise.resolve();
  let resolveClosed: (c: CloseInfo) => void = () => {};
  const closed = new Promise<CloseInfo>((r) => (resolveClosed = r));
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    void Promise.all([source.cancel().catch(() => {}), writing]).finally(() => {
      sink.close();
      fs.close(fd, () => resolveClosed({ reason }));
    });
  };
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const bytes = ended ? null : await source.read();
        if (bytes) return controller.enqueue(bytes);
        end("device closed");
      } catch (err) {
        end(message(err));
      }
      controller.close();
    },
    cancel: () => end("consumer cancelled"),
    // A read is always pending, even while the consumer is busy: an unplugged device is noticed at once.
  }, { highWaterMark: 4 });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      let rest = chunk;
      while (rest.length > 0) {
        if (ended) throw new LinkError(`${path}: closed`);
        const attempt = sink.write(rest);
        writing = attempt.catch(() => {});
        let n: number | "again";
        try {
          n = await attempt;
        } catch (err) {
          end(message(err));
          throw new LinkError(`${path}: ${message(err)}`);
        }
        if (n === "again") await new Promise((r) => setTimeout(r, Math.min(50, Math.max(2, (rest.length * 10_000) / baud))));
        else rest = rest.subarray(n);
      }
    },
    close: () => end("closed"),
    abort: () => end("closed"),
  });
  return { readable, writable, remote: path, closed, close: (reason) => end(reason ?? "closed") };
}
