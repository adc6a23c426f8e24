// lib/dialer.ts against real loopback sockets: reconnect after a drop, back-off that grows against a
// peer that accepts and closes at once, and a clean stop.
import { expect, test } from "bun:test";
import { keepDialing, type DialerState } from "../../lib/dialer.ts";
import type { Link } from "../../lib/link.ts";
import { silentLogger } from "../../lib/log.ts";
import { dialTcp, listenTcp } from "../../lib/tcp.ts";
import { until } from "../support/until.ts";

test("a dropped connection is dialled again; data flows on each link", async () => {
  const accepted: Link[] = [];
  const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (l) => void accepted.push(l));
  const got: string[] = [];
  const dialer = keepDialing(
    () => dialTcp({ host: "127.0.0.1", port: server.port }),
    async (link) => {
      const w = link.writable.getWriter();
      await w.write(new TextEncoder().encode(`hello ${accepted.length}`));
      await link.closed;
    },
    { backoff: { minMs: 20, maxMs: 200 }, log: silentLogger, what: "test peer" },
  );
  await until(() => accepted.length === 1, "first connection");
  const r1 = await accepted[0]!.readable.getReader().read();
  got.push(new TextDecoder().decode(r1.value));
  accepted[0]!.close("server drops it");
  await until(() => accepted.length === 2, "reconnected");
  const r2 = await accepted[1]!.readable.getReader().read();
  got.push(new TextDecoder().decode(r2.value));
  expect(got).toEqual(["hello 1", "hello 2"]);
  await dialer.stop();
  await server.close();
});

test("a peer that accepts and closes at once gets growing delays; a refused port is retried", async () => {
  let t = 0;
  const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (l) => l.close("go away"));
  const states: DialerState[] = [];
  const dialer = keepDialing(() => dialTcp({ host: "127.0.0.1", port: server.port }), (link) => link.closed, {
    backoff: { minMs: 5, maxMs: 80, jitter: 0 },
    log: silentLogger,
    what: "flapping peer",
    now: () => t++,
    onState: (s) => void states.push(s),
  });
  await until(() => states.filter((s) => s.state === "waiting").length >= 6, "six retries");
  await dialer.stop();
  const delays = states.flatMap((s) => (s.state === "waiting" ? [s.retryMs] : [])).slice(0, 6);
  expect(delays).toEqual([5, 10, 20, 40, 80, 80]);
  await server.close();
  // Nothing listens any more: dialling fails and is retried, never thrown.
  const refused: DialerState[] = [];
  const d2 = keepDialing(() => dialTcp({ host: "127.0.0.1", port: server.port }), async () => {}, {
    backoff: { minMs: 5, maxMs: 10 },
    log: silentLogger,
    what: "gone peer",
    onState: (s) => void refused.push(s),
  });
  await until(() => refused.filter((s) => s.state === "waiting").length >= 2, "two failed dials");
  await d2.stop();
  expect(refused.some((s) => s.state === "waiting" && /ECONNREFUSED|refused/i.test(s.error))).toBe(true);
});
