// An HTTP server on Bun.serve, which speaks web Request/Response natively; streamed bodies pass
// through as they are. Bun closes a connection idle for idleTimeout, which would cut an event stream
// between two events: such a response is exempt for as long as the client stays.
import { errorMessage } from "../errors.ts";
import { formatHostPort, LinkError } from "../link.ts";
import type { HttpHandler, HttpServeOptions, Listener } from "../sockets.ts";
import { serverTls } from "./bun-tcp.ts";

const failed = () => new Response("internal server error\n", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } });

/** Bun.serve() as a Listener (HTTP or WebSocket): a bind failure becomes a LinkError naming the address. */
export function bunListener<T>(opts: { host: string; port: number; tls?: unknown }, serve: () => Bun.Server<T>): Promise<Listener & { readonly secure: boolean }> {
  let server: Bun.Server<T>;
  try {
    server = serve();
  } catch (err) {
    return Promise.reject(new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: ${errorMessage(err)}`));
  }
  return Promise.resolve({
    host: opts.host,
    port: server.port ?? opts.port,
    secure: opts.tls !== undefined,
    close: () => server.stop(true),
  });
}

export function serveHttp(opts: HttpServeOptions, handler: HttpHandler): Promise<Listener & { readonly secure: boolean }> {
  return bunListener(opts, () =>
    Bun.serve({
      hostname: opts.host,
      port: opts.port,
      ...(opts.tls ? { tls: serverTls(opts.tls) } : {}),
      async fetch(req, srv) {
        const remoteAddress = (srv.requestIP(req)?.address ?? "unknown").replace(/^::ffff:/, "");
        let res: Response;
        try {
          res = await handler(req, { remoteAddress });
        } catch {
          return failed();
        }
        if (res.headers.get("content-type")?.startsWith("text/event-stream")) srv.timeout(req, 0);
        return res;
      },
      error: failed,
    }),
  );
}
