// The [web] listener: the status page app served by the runtime's own HTTP server (Bun.serve,
// Deno.serve or node:http, through the runtime seam), with TLS when tls_cert/tls_key are set.
import { serveHttp } from "../http.ts";
import { formatHostPort, parseHostPort } from "../link.ts";
import { readPem } from "../pem.ts";
import { createWebApp, type WebApp, type WebAppOptions } from "./app.ts";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export interface WebServer {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** `http(s)://host:port/` as a browser opens it. */
  readonly url: string;
  readonly app: WebApp;
  close(): Promise<void>;
}

/** What the page serves from, as the app takes it (the server's clock is the real one). */
export type WebServerOptions = Omit<WebAppOptions, "now">;

export async function startWeb(o: WebServerOptions): Promise<WebServer> {
  const s = o.settings;
  const { host, port } = parseHostPort(s.listen);
  const tls = s.tls_cert && s.tls_key ? { cert: readPem(s.tls_cert, "[web] tls_cert"), key: readPem(s.tls_key, "[web] tls_key") } : undefined;
  const app = createWebApp(o);
  let listener;
  try {
    listener = await serveHttp({ host, port, tls }, app.handler);
  } catch (err) {
    app.close();
    throw err;
  }
  const secure = listener.secure;
  const url = `${secure ? "https" : "http"}://${formatHostPort(listener.host === "0.0.0.0" || listener.host === "::" ? "127.0.0.1" : listener.host, listener.port)}/`;
  o.log.info("status page listening", { url, auth: s.password !== undefined, control: s.control });
  if (s.password === undefined && !LOOPBACK.test(host)) {
    o.log.warn("the status page is reachable from the network without a password; set [web] username and password", { listen: s.listen });
  }
  const server = listener;
  return {
    host: server.host,
    port: server.port,
    secure,
    url,
    app,
    close: async () => {
      // Open event streams end first, or the server would wait for them.
      app.close();
      await server.close();
    },
  };
}
