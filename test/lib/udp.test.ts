import { expect, test } from "bun:test";
import { datagrams, openUdp, type Datagram, type UdpLink } from "../../lib/udp.ts";
import { until } from "../support/until.ts";

test("datagrams arrive with their source address, one link per peer; send goes to an address; close ends the streams", async () => {
  const got: Datagram[] = [];
  const links: UdpLink[] = [];
  const pumps: Promise<void>[] = [];
  const a = await openUdp({ bind: "127.0.0.1", port: 0, broadcast: true }, (link) => {
    links.push(link);
    pumps.push(datagrams(link).pipeTo(new WritableStream({ write: (d) => void got.push(d) })));
  });
  const b = await openUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  const c = await openUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  await b.send(Uint8Array.of(1, 2, 3), "127.0.0.1", a.port);
  await b.send(Uint8Array.of(4), "127.0.0.1", a.port);
  await c.send(Uint8Array.of(5), "127.0.0.1", a.port);
  await until(() => got.length === 3, "three datagrams");
  expect(got.map((d) => [...d.data])).toEqual([[1, 2, 3], [4], [5]]);
  expect(got[0]).toMatchObject({ address: "127.0.0.1", port: b.port });
  expect(links.map((l) => l.remote)).toEqual([`127.0.0.1:${b.port}`, `127.0.0.1:${c.port}`]);
  expect(a.peers).toBe(2);
  await a.close();
  await Promise.all(pumps);
  expect((await links[0]!.closed).reason).toBe("socket closed");
  await expect(a.send(Uint8Array.of(1), "127.0.0.1", b.port)).rejects.toThrow("closed");
  await b.close();
  await c.close();
});

test("a peer link writes back to that peer only", async () => {
  const replies: Datagram[] = [];
  const a = await openUdp({ bind: "127.0.0.1", port: 0 }, (link) => {
    const w = link.writable.getWriter();
    void link.readable.pipeTo(new WritableStream({ write: (d) => w.write(Uint8Array.of(d[0]! + 100)) }));
  });
  const b = await openUdp({ bind: "127.0.0.1", port: 0 }, (link) => void datagrams(link).pipeTo(new WritableStream({ write: (d) => void replies.push(d) })));
  await b.send(Uint8Array.of(7), "127.0.0.1", a.port);
  await until(() => replies.length === 1, "the reply");
  expect([...replies[0]!.data]).toEqual([107]);
  expect(replies[0]).toMatchObject({ address: "127.0.0.1", port: a.port });
  await a.close();
  await b.close();
});

test("peers beyond maxPeers are dropped and counted; a closed peer link makes room", async () => {
  const links: UdpLink[] = [];
  const a = await openUdp({ bind: "127.0.0.1", port: 0, maxPeers: 1 }, (l) => void links.push(l));
  const b = await openUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  const c = await openUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  await b.send(Uint8Array.of(1), "127.0.0.1", a.port);
  await until(() => links.length === 1, "first peer");
  await c.send(Uint8Array.of(2), "127.0.0.1", a.port);
  await until(() => a.dropped === 1, "second peer dropped");
  links[0]!.close("done with it");
  await c.send(Uint8Array.of(3), "127.0.0.1", a.port);
  await until(() => links.length === 2, "second peer admitted once there is room");
  expect(links[1]!.remote).toBe(`127.0.0.1:${c.port}`);
  await Promise.all([a.close(), b.close(), c.close()]);
});

test("binding a port already in use fails instead of sharing it", async () => {
  const a = await openUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  await expect(openUdp({ bind: "127.0.0.1", port: a.port }, () => {})).rejects.toThrow();
  await a.close();
});
