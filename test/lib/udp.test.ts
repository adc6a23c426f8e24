import { expect, test } from "bun:test";
import { openUdp, type Datagram } from "../../lib/udp.ts";

test("datagrams arrive with their source address; send goes to an address; close ends the stream", async () => {
  const a = await openUdp({ bind: "127.0.0.1", port: 0, broadcast: true });
  const b = await openUdp({ bind: "127.0.0.1", port: 0 });
  const got: Datagram[] = [];
  const done = a.readable.pipeTo(new WritableStream({ write: (d) => void got.push(d) }));
  await b.send(Uint8Array.of(1, 2, 3), "127.0.0.1", a.port);
  await b.send(Uint8Array.of(4), "127.0.0.1", a.port);
  const until = Date.now() + 2000;
  while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(got.map((d) => [...d.data])).toEqual([[1, 2, 3], [4]]);
  expect(got[0]).toMatchObject({ address: "127.0.0.1", port: b.port });
  await a.close();
  await done;
  await expect(a.send(Uint8Array.of(1), "127.0.0.1", b.port)).rejects.toThrow("closed");
  await b.close();
});

test("binding a port already in use fails instead of sharing it", async () => {
  const a = await openUdp({ bind: "127.0.0.1", port: 0 });
  await expect(openUdp({ bind: "127.0.0.1", port: a.port })).rejects.toThrow();
  await a.close();
});
