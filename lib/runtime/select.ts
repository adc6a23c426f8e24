// Picks the socket adapter for the runtime we are on, loading only that one (a dynamic import: the
// other runtimes' files are never evaluated, and the binary carries them unused).
import { isBun, isDeno } from "../runtime.ts";
import type { Sockets } from "../sockets.ts";

let chosen: Promise<Sockets> | undefined;

export function sockets(): Promise<Sockets> {
  chosen ??= isBun()
    ? import("./bun.ts").then((m) => m.bunSockets)
    : isDeno()
      ? import("./deno.ts").then((m) => m.denoSockets)
      : import("./node.ts").then((m) => m.nodeSockets);
  return chosen;
}
