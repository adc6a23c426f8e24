// A datagram handed on by the node:dgram adapter holds only its own bytes: under Deno node:dgram
// gives views into a 64 KiB receive buffer, which a queued datagram would otherwise keep alive.
import { expect, test } from "bun:test";
import { DENO, run } from "./runtimes-run.ts";

const SCRIPT = `
import { bindUdp } from "./lib/runtime/node-udp.ts";
import dgram from "node:dgram";
const got = await new Promise((resolve) => {
  bindUdp({ bind: "127.0.0.1", port: 0 }, (d) => resolve(d.data)).then((sock) => {
    const c = dgram.createSocket("udp4");
    c.send(new Uint8Array([1, 2, 3, 4, 5]), sock.port, "127.0.0.1", () => c.close());
  });
});
console.log(JSON.stringify({ bytes: Array.from(got), backing: got.buffer.byteLength }));
Deno.exit(0);
`;

test("Deno: a 5-byte datagram arrives as 5 bytes of its own, not a view into node:dgram's receive buffer", async () => {
  const { code, out } = await run([DENO, "eval", "--ext=ts", SCRIPT]);
  expect(code).toBe(0);
  const line = out.split("\n").find((l) => l.startsWith("{")) ?? out;
  expect(JSON.parse(line)).toEqual({ bytes: [1, 2, 3, 4, 5], backing: 5 });
});
