// An HTTP server with a fetch-style handler (status page, event streams), through the runtime's adapter.
import { sockets } from "./runtime/select.ts";
import type { HttpHandler, HttpServeOptions, Listener } from "./sockets.ts";

export type { HttpHandler, HttpServeOptions } from "./sockets.ts";
export type HttpServer = Listener & { readonly secure: boolean };

export async function serveHttp(opts: HttpServeOptions, handler: HttpHandler): Promise<HttpServer> {
  return (await sockets()).serveHttp(opts, handler);
}
