// Bun's adapter: Bun's own sockets where bench/transports/ measured them at least as fast and as
// lean as the node layer, the node files elsewhere (numbers in the README's transport table).
import type { Sockets } from "../sockets.ts";
import { serveHttp } from "./bun-http.ts";
import { openSerial } from "./bun-serial.ts";
import { dialTcp, listenTcp } from "./bun-tcp.ts";
import { listenWebSocket } from "./bun-websocket.ts";
import { nodeSockets } from "./node.ts";

export const bunSockets: Sockets = {
  name: "bun",
  listenTcp,
  dialTcp,
  // Bun.udpSocket is ~3× faster, but its receive buffer cannot be raised: a burst of 500 chargers
  // lost ~1 in 6 datagrams where node:dgram with 1 MiB lost none.
  bindUdp: nodeSockets.bindUdp,
  listenWebSocket,
  serveHttp,
  // Bun's node:tty cannot read a non-blocking tty; Bun's own file reader polls it.
  openSerial,
};
