// Picks the socket adapter for the runtime we are on, loading only that one.
import type { Sockets } from "../sockets.ts";

let chosen: Promise<Sockets> | undefined;

export function sockets(): Promise<Sockets> {
  chosen ??= import("./node.ts").then((m) => m.nodeSockets);
  return chosen;
}
