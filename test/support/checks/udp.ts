// UDP: the adapter's socket, and lib/udp.ts over the selected one (one link per peer, replies to that peer only).
import type { Sockets } from "../../../lib/sockets.ts";
import { type Datagram, datagrams, openUdp, type UdpLink } from "../../../lib/udp.ts";
import { until } from "../until.ts";
import { check } from "./util.ts";

export async function udpPeers(): Promise<void> {
  const links: UdpLink[] = [];
  const server = await openUdp({ bind: "127.0.0.1", port: 0, broadcast: true }, (link) => {
    links.push(link);
    const w = link.writable.getWriter();
    void link.readable.pipeTo(new WritableStream({ write: (d) => w.write(Uint8Array.of((d[0] ?? 0) + 100)) }));
  });
  const got: Datagram[][] = [[], []];
  const peers = await Promise.all([0, 1].map((i) => openUdp({ bind: "127.0.0.1", port: 0 }, (l) => void datagrams(l).pipeTo(new WritableStream({ write: (d) => void got[i]?.push(d) })))));
  try {
    const [p1, p2] = peers;
    check(p1 !== undefined && p2 !== undefined, "two peers");
    await p1.send(Uint8Array.of(1, 0, 0), "127.0.0.1", server.port);
    await p2.send(Uint8Array.of(2), "127.0.0.1", server.port);
    await p1.send(Uint8Array.of(3), "127.0.0.1", server.port);
    await until(() => got[0]?.length === 2 && got[1]?.length === 1, "two replies to the first peer, one to the second");
    const answers = got.map((g) => g.map((d) => d.data[0]));
    check(JSON.stringify(answers) === "[[101,103],[102]]", `each peer gets its own answers: ${JSON.stringify(answers)}`);
    check(got.flat().every((d) => d.port === server.port && d.address === "127.0.0.1"), "replies come from the server's address");
    check(links.map((l) => l.remote).join(" ") === `127.0.0.1:${p1.port} 127.0.0.1:${p2.port}`, "one link per peer, named by it");
  } finally {
    await Promise.all([server.close(), ...peers.map((p) => p.close())]);
  }
  check((await links[0]?.closed)?.reason === "socket closed", "closing the endpoint closes its links");
}

/** The adapter's bound socket itself: datagrams with their source, and a peer that vanished
 * (ICMP port unreachable) does not fail the next sends to others. */
export async function udpSocket(s: Sockets): Promise<void> {
  const heard: Datagram[] = [];
  const a = await s.bindUdp({ bind: "127.0.0.1", port: 0, broadcast: true }, (d) => void heard.push(d));
  const b = await s.bindUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  const gone = await s.bindUdp({ bind: "127.0.0.1", port: 0 }, () => {});
  await gone.close();
  try {
    for (let i = 0; i < 5; i++) {
      await b.send(Uint8Array.of(9), "127.0.0.1", gone.port).catch(() => {});
      await b.send(Uint8Array.of(i), "127.0.0.1", a.port);
      await until(() => heard.length === i + 1, `datagram ${i} after one to a closed port`);
    }
    check(heard.map((d) => d.data[0]).join(",") === "0,1,2,3,4", "every datagram arrives once, in order");
    check(heard.every((d) => d.address === "127.0.0.1" && d.port === b.port), "with its source address");
  } finally {
    await a.close();
    await b.close();
  }
  const msg = await b.send(Uint8Array.of(1), "127.0.0.1", a.port).then(() => "sent", (e: Error) => e.message);
  check(msg.includes("closed"), `a closed socket refuses to send: ${msg}`);
}
