// Deno's adapter. bench/transports/ measured Deno's own sockets against the node layer; none was
// both as fast and as lean (Deno.connect/listen: same speed, ~1.6× the memory per connection;
// Deno.serve: faster, but ~15 KiB per idle connection against ~1; Deno.upgradeWebSocket: no payload
// limit before a message is in memory, and a close code lost when the peer floods), so TCP, HTTP
// and WebSocket stay on the node layer. UDP has no stable native API (Deno.listenDatagram needs
// --unstable-net). Serial lines are Deno's own: its node:tty blocks a thread per read.
import type { Sockets } from "../sockets.ts";
import { openSerial } from "./deno-serial.ts";
import { nodeSockets } from "./node.ts";

export const denoSockets: Sockets = { ...nodeSockets, name: "deno", openSerial };
