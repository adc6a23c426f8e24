// An HTTP server on Deno.serve, which speaks web Request/Response natively; streamed bodies pass
// through as they are, and aborting the server's signal ends every connection, streams included.
import { errorMessage } from "../errors.ts";
import { formatHostPort, LinkError } from "../link.ts";
import type { HttpHandler, HttpServeOptions, Listener } from "../sockets.ts";
import { deno, type DenoServeHandler } from "./deno-api.ts";

export const failed = () => new Response("internal server error\n", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } });

/** Deno.serve with our listen semantics: a LinkError naming the address, close() that ends everything. */
export function denoServe(opts: HttpServeOptions, handler: DenoServeHandler): Promise<Listener & { readonly secure: boolean }> {
  const aborter = new AbortController();
  let server;
  try {
    server = deno().serve(
      {
        hostname: opts.host,
        port: opts.port,
        ...(opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : {}),
        signal: aborter.signal,
        // Without it Deno prints "Listening on …" to stdout.
        onListen: () => {},
        onError: failed,
      },
      handler,
    );
  } catch (err) {
    return Promise.reject(new LinkError(`cannot listen on ${formatHostPort(opts.host, opts.port)}: ${errorMessage(err)}`));
  }
  const finished = server.finished;
  return Promise.resolve({
    host: opts.host,
    port: server.addr.port,
    secure: opts.tls !== undefined,
    close: async () => {
      aborter.abort();
      await finished;
    },
  });
}

export function serveHttp(opts: HttpServeOptions, handler: HttpHandler): Promise<Listener & { readonly secure: boolean }> {
  return denoServe(opts, async (req, info) => {
    try {
      return await handler(req, { remoteAddress: info.remoteAddr.hostname.replace(/^::ffff:/, "") });
    } catch {
      return failed();
    }
  });
}
