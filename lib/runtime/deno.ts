// Deno's adapter. bench/transports/ measured Deno's own sockets against the node layer, and none was
// both as fast and as lean, so TCP, HTTP and WebSocket stay on the node layer:
// - Deno.connect/listen: ~15% less CPU per message, but ~1.6 KiB more per idle accepted connection;
// - Deno.serve: ~8× less CPU per request, but ~15 KiB per idle keep-alive connection against ~1;
// - Deno.upgradeWebSocket: less CPU, more memory, no payload limit before a message is in memory,
//   and the 1008 close code is lost when the peer floods.
// UDP has no stable native API (Deno.listenDatagram needs --unstable-net). Serial lines are Deno's
// own: its node:tty crashes the process on a write error (EPIPE) and blocks a thread per read.
import type { Sockets } from "../sockets.ts";
import { openSerial } from "./deno-serial.ts";
import { nodeSockets } from "./node.ts";

export const denoSockets: Sockets = { ...nodeSockets, name: "deno", openSerial };
