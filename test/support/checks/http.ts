// HTTP servers through an adapter: requests with bodies and the client's address, a handler that
// throws, HTTPS, and a streamed response (SSE) that reaches the client event by event and is
// cancelled when the client goes away.
import http from "node:http";
import https from "node:https";
import type { Sockets } from "../../../lib/sockets.ts";
import type { TestCerts } from "../certs.ts";
import { until } from "../until.ts";
import { check, enc, within } from "./util.ts";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, opts: { method?: string; body?: Uint8Array; ca?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith("https:") ? https : http;
    const req = mod.request(url, { method: opts.method ?? "GET", ...(opts.ca ? { ca: opts.ca } : {}) }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => void parts.push(b));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end(opts.body);
  });
}

export async function httpServe(s: Sockets, certs: TestCerts): Promise<void> {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  let cancelled: () => void = () => {};
  const wasCancelled = new Promise<void>((r) => (cancelled = r));
  let streamSignal: AbortSignal | undefined;
  const handler = async (req: Request, info: { remoteAddress: string }): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname === "/echo") {
      const body = new Uint8Array(await req.arrayBuffer());
      return new Response(`${req.method} ${url.searchParams.get("q")} ${body.length} ${body[body.length - 1] ?? "-"}`, { status: 201, headers: { "x-remote": info.remoteAddress } });
    }
    if (url.pathname === "/boom") throw new Error("handler failed");
    if (url.pathname === "/events") {
      streamSignal = req.signal;
      return new Response(
        new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(enc("data: one\n\n"));
            await released;
            c.enqueue(enc("data: two\n\n"));
          },
          cancel: () => cancelled(),
        }),
        { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } },
      );
    }
    return new Response("not here\n", { status: 404 });
  };
  const server = await s.serveHttp({ host: "127.0.0.1", port: 0 }, handler);
  const secure = await s.serveHttp({ host: "127.0.0.1", port: 0, tls: certs.server }, handler);
  try {
    check(!server.secure && secure.secure, "secure says whether it is HTTPS");
    const base = `http://127.0.0.1:${server.port}`;
    const body = new Uint8Array(1 << 20).fill(7);
    const posted = await request(`${base}/echo?q=a%20b`, { method: "POST", body });
    check(posted.status === 201 && posted.body === `POST a b ${1 << 20} 7`, `POST echo: ${posted.status} ${posted.body}`);
    check(posted.headers["x-remote"] === "127.0.0.1", `remote address: ${posted.headers["x-remote"]}`);
    const missing = await request(`${base}/nothing`);
    check(missing.status === 404 && missing.body === "not here\n", `404: ${missing.status}`);
    const boom = await request(`${base}/boom`);
    check(boom.status === 500, `a failing handler gives 500, got ${boom.status}`);
    check(!boom.body.includes("handler failed"), "the handler's error is not echoed to the client");
    const tls = await request(`https://127.0.0.1:${secure.port}/echo?q=s`, { method: "POST", body: enc("x"), ca: certs.ca });
    check(tls.status === 201 && tls.body === "POST s 1 120", `HTTPS: ${tls.status} ${tls.body}`);
    // The stream: "one" must arrive while the handler still holds "two" back.
    const events = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${base}/events`, resolve).once("error", reject));
    check(events.headers["content-type"] === "text/event-stream", `content type: ${events.headers["content-type"]}`);
    let text = "";
    events.on("data", (b: Buffer) => void (text += b.toString()));
    const seen = (needle: string) => within((async () => { while (!text.includes(needle)) await new Promise((r) => setTimeout(r, 10)); })(), 5000, `"${needle}" on the event stream (got ${JSON.stringify(text)})`);
    await seen("data: one\n\n");
    release();
    await seen("data: two\n\n");
    events.destroy();
    await within(wasCancelled, 5000, "the response stream to be cancelled when the client left");
    // Generous: with four test workers on two cores a Node child can lag seconds behind.
    await until(() => streamSignal?.aborted === true, "the request's signal to be aborted when the client left", 15_000);
  } finally {
    await server.close();
    await secure.close();
  }
}
