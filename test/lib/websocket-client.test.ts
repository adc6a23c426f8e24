// lib/websocket-client.ts against lib/websocket.ts over real loopback sockets: handshake with
// subprotocol and headers, one chunk per message both ways, refusals and closes as values.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { LinkError, type MessageLink } from "../../lib/link.ts";
import { dialWebSocket } from "../../lib/websocket-client.ts";
import { listenWebSocket, type UpgradeRequest, type WsServer } from "../../lib/websocket.ts";
import { freePort } from "../support/ports.ts";

setDefaultTimeout(15_000);

let server: WsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const utf8 = new TextEncoder();
const text = new TextDecoder();

async function echoServer(seen: UpgradeRequest[], links: MessageLink[]): Promise<WsServer> {
  return listenWebSocket<null>({
    host: "127.0.0.1",
    port: 0,
    pingIntervalMs: 0,
    maxMissedPongs: 1,
    maxPayload: 1 << 16,
    decide: (req) => {
      seen.push(req);
      if (req.path === "/deny") return { accept: false, status: 401, reason: "no" };
      return { accept: true, protocol: req.offered.includes("p2") ? "p2" : null, context: null };
    },
    onConnection: (link) => {
      links.push(link);
      const out = link.writable.getWriter();
      void link.readable.pipeTo(new WritableStream({ write: (m) => out.write(utf8.encode(`echo:${text.decode(m)}`)).catch(() => {}) })).catch(() => {});
    },
  });
}

test("dials with subprotocols and headers; messages go both ways one chunk each; the server's close reaches `closed`", async () => {
  const seen: UpgradeRequest[] = [];
  const links: MessageLink[] = [];
  server = await echoServer(seen, links);
  const link = await dialWebSocket(`ws://127.0.0.1:${server.port}/a/CP1`, { protocols: ["p1", "p2"], headers: { Authorization: "Basic eDp5" } });
  expect(link.protocol).toBe("p2");
  expect(link.remote).toBe(`127.0.0.1:${server.port}`);
  expect(seen.at(-1)).toMatchObject({ path: "/a/CP1", offered: ["p1", "p2"] });
  expect(seen.at(-1)?.headers.get("authorization")).toBe("Basic eDp5");
  const writer = link.writable.getWriter();
  const reader = link.readable.getReader();
  await writer.write(utf8.encode("one"));
  await writer.write(utf8.encode("two"));
  const got = [await reader.read(), await reader.read()].map((r) => (r.value ? text.decode(r.value) : "(end)"));
  expect(got).toEqual(["echo:one", "echo:two"]);
  links[0]?.close("bye", 4001);
  expect(await link.closed).toEqual({ code: 4001, reason: "bye" });
  expect((await reader.read()).done).toBe(true);
});

test("a refusal is a LinkError naming the HTTP status; nobody listening is a LinkError too", async () => {
  server = await echoServer([], []);
  const refused = dialWebSocket(`ws://127.0.0.1:${server.port}/deny`);
  await expect(refused).rejects.toBeInstanceOf(LinkError);
  await expect(refused).rejects.toThrow("HTTP 401");
  const port = await freePort();
  await expect(dialWebSocket(`ws://127.0.0.1:${port}/x`)).rejects.toBeInstanceOf(LinkError);
  await expect(dialWebSocket("not a url")).rejects.toThrow("not a WebSocket URL");
});

test("closing our end ends the link for both sides", async () => {
  const links: MessageLink[] = [];
  server = await echoServer([], links);
  const link = await dialWebSocket(`ws://127.0.0.1:${server.port}/x`);
  link.close("done", 1000);
  expect((await link.closed).code).toBe(1000);
  expect((await links[0]?.closed)?.code).toBe(1000);
});
