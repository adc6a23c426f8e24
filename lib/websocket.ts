// A WebSocket server whose connections are MessageLinks (one chunk = one message).
import { sockets } from "./runtime/select.ts";
import type { Listener, WsServerOptions } from "./sockets.ts";

export type { UpgradeDecision, UpgradeRequest, WsServerOptions } from "./sockets.ts";
export type WsServer = Listener & { readonly secure: boolean };

export async function listenWebSocket<C>(opts: WsServerOptions<C>): Promise<WsServer> {
  return (await sockets()).listenWebSocket(opts);
}
