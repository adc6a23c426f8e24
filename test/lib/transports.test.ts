// Every transport through the adapter Bun selects (lib/runtime/bun.ts): the shared checks in
// test/support/checks/, which test/lib/runtimes*.test.ts also runs under Deno and Node. Native
// files Bun does not select are checked too, so they stay ready for the next measurement.
import { beforeAll, describe, setDefaultTimeout, test } from "bun:test";
import { sockets } from "../../lib/runtime/select.ts";
import type { Sockets } from "../../lib/sockets.ts";
import { makeCerts, type TestCerts } from "../support/certs.ts";
import { CHECKS } from "../support/checks/index.ts";
import { udpSocket } from "../support/checks/udp.ts";
import { nativeParts } from "../support/native-sockets.ts";

setDefaultTimeout(30_000);

let s: Sockets;
let certs: TestCerts;
beforeAll(async () => {
  s = await sockets();
  certs = makeCerts();
});

describe("the adapter Bun selects", () => {
  test("is Bun's", () => {
    if (s.name !== "bun") throw new Error(`selected adapter is ${s.name}`);
  });
  for (const [name, run] of Object.entries(CHECKS)) test(name, () => run(s, certs));
});

describe("Bun's native files it does not select", () => {
  test("udp (Bun.udpSocket): datagrams with their source; a vanished peer fails no other send", async () => {
    const { bindUdp } = await nativeParts();
    if (!bindUdp) throw new Error("no native UDP on Bun");
    await udpSocket({ ...s, bindUdp });
  });
});
