// TCP and TLS through an adapter: data both ways, a reader that stops holds the writer back (the
// bytes in flight stay bounded), TLS verification by chain and name, and mTLS client certificates.
import type { Link } from "../../../lib/link.ts";
import type { Sockets } from "../../../lib/sockets.ts";
import type { TestCerts } from "../certs.ts";
import { until } from "../until.ts";
import { check, echo, patternChunk, readPattern, rejection, roundTrip, sleep } from "./util.ts";

const CHUNK = 64 * 1024;
/** Loopback socket buffers hold a few MiB; without back-pressure all of this would be accepted. */
const ATTEMPT = 256 * 1024 * 1024;
const BOUND = 48 * 1024 * 1024;

/** Writes until a write stays pending (the reader does not read), then reads it all back in order. */
async function heldBack(from: Link, to: Link): Promise<number> {
  const w = from.writable.getWriter();
  let accepted = 0;
  let pending: Promise<void> | undefined;
  while (accepted < ATTEMPT) {
    const p = w.write(patternChunk(accepted, CHUNK));
    const stalled = await Promise.race([p.then(() => false), sleep(300).then(() => true)]);
    if (stalled) {
      pending = p;
      break;
    }
    accepted += CHUNK;
  }
  check(pending !== undefined, `the writer was never held back: ${accepted} bytes accepted by a peer that reads nothing`);
  check(accepted < BOUND, `${accepted} bytes accepted before the writer was held back (bound ${BOUND})`);
  // Still held back a while later: a slow moment of the machine is not back-pressure.
  let done = false;
  void pending.then(
    () => (done = true),
    () => (done = true),
  );
  await sleep(300);
  check(!done, "the pending write completed although nobody read");
  const r = to.readable.getReader();
  await readPattern(r, 0, accepted + CHUNK);
  await pending;
  w.releaseLock();
  r.releaseLock();
  return accepted;
}

export async function tcpBackPressure(s: Sockets): Promise<void> {
  const links: Link[] = [];
  const server = await s.listenTcp({ host: "127.0.0.1", port: 0 }, (l) => void links.push(l));
  try {
    const client = await s.dialTcp({ host: "127.0.0.1", port: server.port });
    await until(() => links.length === 1, "the server's link");
    const [peer] = links;
    check(peer !== undefined, "server link");
    check(client.remote === `127.0.0.1:${server.port}`, `client remote is ${client.remote}`);
    await heldBack(client, peer);
    await heldBack(peer, client);
    client.close("bye");
    check((await client.closed).reason === "bye", "the closing side's reason");
    check((await peer.closed).reason === "peer closed", "the other side sees the peer close");
  } finally {
    await server.close();
  }
}

export async function tcpRefused(s: Sockets): Promise<void> {
  const server = await s.listenTcp({ host: "127.0.0.1", port: 0 }, () => {});
  await server.close();
  const msg = await rejection(s.dialTcp({ host: "127.0.0.1", port: server.port }), "dial a closed port");
  check(msg.includes(`127.0.0.1:${server.port}`), `the error names the target: ${msg}`);
  check(/ECONNREFUSED|refused/i.test(msg), `the error says the connection was refused: ${msg}`);
}

export async function tlsVerification(s: Sockets, certs: TestCerts): Promise<void> {
  const named = await s.listenTcp({ host: "127.0.0.1", port: 0, tls: certs.server }, echo);
  const unnamed = await s.listenTcp({ host: "127.0.0.1", port: 0, tls: certs.unnamed }, echo);
  const at = (port: number, tls: NonNullable<Parameters<Sockets["dialTcp"]>[0]["tls"]>) => s.dialTcp({ host: "127.0.0.1", port, tls });
  try {
    await roundTrip(await at(named.port, { ca: certs.ca }));
    await rejection(at(named.port, { ca: certs.otherCa }), "a server signed by a CA we do not trust");
    await roundTrip(await at(named.port, { ca: certs.otherCa, rejectUnauthorized: false }));
    await rejection(at(unnamed.port, { ca: certs.ca }), "a certificate without the address we dialled");
    await roundTrip(await at(unnamed.port, { ca: certs.ca, checkServerName: false }));
    await rejection(at(unnamed.port, { ca: certs.otherCa, checkServerName: false }), "no name check still checks the chain");
  } finally {
    await named.close();
    await unnamed.close();
  }
}

export async function mutualTls(s: Sockets, certs: TestCerts): Promise<void> {
  const accepted: Link[] = [];
  const server = await s.listenTcp({ host: "127.0.0.1", port: 0, tls: { ...certs.server, ca: certs.ca } }, (l) => {
    accepted.push(l);
    echo(l);
  });
  try {
    await roundTrip(await s.dialTcp({ host: "127.0.0.1", port: server.port, tls: { ca: certs.ca, ...certs.client } }));
    check(accepted.length === 1, "the client with a certificate is accepted");
    // Under TLS 1.3 the client may finish its handshake before the server refuses it: then the link
    // ends without an answer instead of the dial failing. Either way no data gets through.
    const outcome = await s.dialTcp({ host: "127.0.0.1", port: server.port, tls: { ca: certs.ca } }).then(
      async (link) => {
        const w = link.writable.getWriter();
        await w.write(new TextEncoder().encode("ping")).catch(() => {});
        const r = await link.readable.getReader().read().catch(() => ({ done: true as const, value: undefined }));
        link.close();
        return r.done ? "closed" : "answered";
      },
      () => "refused",
    );
    check(outcome !== "answered", "a client without a certificate gets no answer");
    check(accepted.length === 1, "a client without a certificate never becomes a link");
  } finally {
    await server.close();
  }
}
