// TCP (and TLS) as Links, through the runtime's adapter.
import type { Link } from "./link.ts";
import { sockets } from "./runtime/select.ts";
import type { Listener, TcpDialOptions, TcpListenOptions } from "./sockets.ts";

export type { Listener, TcpDialOptions, TcpListenOptions } from "./sockets.ts";

/** Accepts connections; each becomes a Link handed to `onLink`. */
export async function listenTcp(opts: TcpListenOptions, onLink: (link: Link) => void): Promise<Listener> {
  return (await sockets()).listenTcp(opts, onLink);
}

/** One outgoing connection (TLS when `tls` is set); rejects with a LinkError naming the target. */
export async function dialTcp(opts: TcpDialOptions): Promise<Link> {
  return (await sockets()).dialTcp(opts);
}
