// A serial line through node:tty: libuv (Node) and Deno's node layer read a tty by polling it, and
// a device that goes away (USB unplugged) ends the stream, which closes the link.
import { errorMessage } from "../errors.ts";
import fs from "node:fs";
import tty from "node:tty";
import { type Link, LinkError } from "../link.ts";
import type { SerialOptions } from "../sockets.ts";
import { streamLink } from "./node-stream-link.ts";
import { openLine } from "./serial-line.ts";

export async function openSerial(opts: SerialOptions): Promise<Link> {
  const fd = await openLine(opts);
  let line: tty.ReadStream;
  try {
    line = new tty.ReadStream(fd);
  } catch (err) {
    fs.close(fd, () => {});
    throw new LinkError(`${opts.path}: not a terminal device: ${errorMessage(err)}`);
  }
  // Errors surface through the streams; an unhandled 'error' event would crash the process.
  line.on("error", () => {});
  return streamLink(line, opts.path, "device closed");
}
