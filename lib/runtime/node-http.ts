// An HTTP server over node:http(s) with a fetch-style handler: a web Request in, a web Response
// out. The request body streams with back-pressure; an event stream (SSE) answer streams too, and a
// client that goes away cancels it and aborts the request's signal.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { HttpHandler, HttpServeOptions, Listener } from "../sockets.ts";
import { listenOn, trackConnections } from "./node-listen.ts";
import { nodeTlsServerOptions } from "./node-tcp.ts";

/** node:http's header object as web Headers (repeated headers kept). */
export function toHeaders(h: IncomingMessage["headers"]): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.append(k, x);
  }
  return out;
}

function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(c) {
      req.on("data", (b: Buffer) => {
        if (done) return;
        c.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        if ((c.desiredSize ?? 1) <= 0) req.pause();
      });
      req.once("end", () => {
        if (!done) c.close();
        done = true;
      });
      req.once("error", (err) => {
        if (!done) c.error(err);
        done = true;
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      done = true;
      req.destroy();
    },
  });
}

function toRequest(req: IncomingMessage, secure: boolean, signal: AbortSignal): Request {
  const scheme = secure ? "https" : "http";
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `${scheme}://${req.headers.host ?? "localhost"}`);
  } catch {
    // A Host header that is no host: the path still routes.
    url = new URL(req.url ?? "/", `${scheme}://localhost`);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // `duplex` is what Node's fetch requires for a streamed request body.
  const init: RequestInit & { duplex?: "half" } = { method, headers: toHeaders(req.headers), signal, ...(hasBody ? { body: requestBody(req), duplex: "half" } : {}) };
  return new Request(url, init);
}

function headerRecord(h: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  h.forEach((v, k) => {
    if (k !== "set-cookie") out[k] = v;
  });
  const cookies = h.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

/** Resolves once the response may take more bytes, or false when the client has gone. */
function writable(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const head = () => res.writeHead(response.status, response.statusText || undefined, headerRecord(response.headers));
  const body = response.body;
  if (!body || req.method === "HEAD") {
    head();
    res.end();
    await body?.cancel();
    return;
  }
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    // Any other body is sent whole, with its length, in one write: reading it as a stream costs
    // several times more per request on every runtime (measured in bench/transports/http.ts).
    const bytes = new Uint8Array(await response.arrayBuffer());
    res.setHeader("content-length", String(bytes.length));
    head();
    res.end(bytes);
    return;
  }
  // An event stream's client must not wait for the first event to see the answer.
  head();
  res.flushHeaders();
  const reader = body.getReader();
  const gone = () => void reader.cancel().catch(() => {});
  res.once("close", gone);
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      if (!res.write(next.value) && !(await writable(res))) return;
    }
    res.end();
  } catch {
    // The stream failed midway: the client sees a cut response, not a truncated "complete" one.
    res.destroy();
  } finally {
    res.off("close", gone);
  }
}

export function serveHttp(opts: HttpServeOptions, handler: HttpHandler): Promise<Listener & { readonly secure: boolean }> {
  const secure = opts.tls !== undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const aborter = new AbortController();
    const request = toRequest(req, secure, aborter.signal);
    res.once("close", () => {
      // Held here until the response ends: undici's Request follows our signal only through a weak
      // reference, so a Request collected early would never see the abort (seen as a flaky check).
      if (!res.writableFinished && request.method !== "") aborter.abort();
    });
    void (async () => {
      let response: Response;
      try {
        response = await handler(request, { remoteAddress: (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "") });
      } catch {
        response = new Response("internal server error\n", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } });
      }
      await send(req, res, response);
    })().catch(() => res.destroy());
  };
  const server = opts.tls ? https.createServer(nodeTlsServerOptions(opts.tls), onRequest) : http.createServer(onRequest);
  server.on("clientError", (_err, socket) => socket.destroy());
  return listenOn(server, opts, trackConnections(server)).then((l) => ({ ...l, secure }));
}
