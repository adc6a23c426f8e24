// A node:net Socket (TCP, TLS, or a tty.ReadStream on a serial line) seen as a Link; the readable
// pauses the socket while its consumer is behind, so a slow reader holds the peer back.
import type net from "node:net";
import { type CloseInfo, type Link, LinkError } from "../link.ts";

/** `ended`: the close reason when the other end finishes without an error (a peer, a device). */
export function streamLink(socket: net.Socket, remote: string, ended = "peer closed"): Link {
  let why: string | undefined;
  const closed = new Promise<CloseInfo>((resolve) => socket.once("close", (hadError) => resolve({ reason: why ?? (hadError ? "socket error" : ended) })));
  let readClosed = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.on("data", (chunk: Buffer) => {
        if (readClosed) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) socket.pause();
      });
      const finish = () => {
        if (readClosed) return;
        readClosed = true;
        try {
          controller.close();
        } catch {
          // already errored or cancelled
        }
      };
      socket.once("end", finish);
      socket.once("close", finish);
      socket.on("error", (err) => {
        why ??= err.message;
        finish();
      });
    },
    pull() {
      socket.resume();
    },
    cancel() {
      readClosed = true;
      socket.destroy();
    },
  }, { highWaterMark: 16 });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) return Promise.reject(new LinkError(`${remote}: closed`));
      return new Promise<void>((resolve, reject) => {
        socket.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
    },
    close() {
      socket.end();
    },
    abort() {
      socket.destroy();
    },
  });
  return {
    readable,
    writable,
    remote,
    closed,
    close: (reason) => {
      why ??= reason;
      socket.destroy();
    },
  };
}
