// Serial lines through an adapter, over a real pseudo-terminal pair: bytes both ways, a closed line
// that is opened again gets every byte (no reader left behind steals any), and unplugging the
// device (the relay dies) closes the link so a dialer can reopen it.
import type { Sockets } from "../../../lib/sockets.ts";
import { ptyPair } from "../pty-pair.ts";
import { check, enc, patternChunk, readPattern, readUntil, rejection, within } from "./util.ts";

export async function serialLine(s: Sockets): Promise<void> {
  const pair = await ptyPair();
  try {
    const a = await s.openSerial({ path: pair.a, baud: 115200 });
    const b = await s.openSerial({ path: pair.b, baud: 9600 });
    check(a.remote === pair.a, `remote is the device path: ${a.remote}`);
    const aw = a.writable.getWriter();
    const bw = b.writable.getWriter();
    const br = b.readable.getReader();
    await aw.write(enc("$GS^2A\r"));
    await readUntil(br, "$GS^2A\r");
    // More than a tty buffers at once, the other way.
    const size = 256 * 1024;
    const ar = a.readable.getReader();
    const sent = (async () => {
      for (let off = 0; off < size; off += 4096) await bw.write(patternChunk(off, 4096));
    })();
    await within(readPattern(ar, 0, size), 10_000, "256 KiB over the line");
    await sent;
    ar.releaseLock();
    aw.releaseLock();
    a.close("reopening");
    check((await a.closed).reason === "reopening", "close() gives its reason");
    const again = await s.openSerial({ path: pair.a, baud: 115200 });
    await bw.write(enc("after reopen\n"));
    const got = await readUntil(again.readable.getReader(), "after reopen\n");
    check(got === "after reopen\n", `the reopened line gets every byte: ${JSON.stringify(got)}`);
    await pair.unplug();
    const gone = await within(again.closed, 5000, "the link to close when the device goes away");
    check(gone.reason.length > 0, "an unplugged device gives a reason");
    await within(b.closed, 5000, "the other end to close too");
    const missing = await rejection(s.openSerial({ path: `${pair.a}-missing`, baud: 115200 }), "a device that does not exist");
    check(missing.includes(`${pair.a}-missing`), `the error names the device: ${missing}`);
  } finally {
    await pair.dispose();
  }
}

export async function serialBadBaud(s: Sockets): Promise<void> {
  const pair = await ptyPair();
  try {
    const msg = await rejection(s.openSerial({ path: pair.a, baud: 12345 }), "a baud rate stty does not know");
    check(msg.includes(pair.a) && msg.includes("12345"), `the error names device and baud: ${msg}`);
  } finally {
    await pair.dispose();
  }
}
