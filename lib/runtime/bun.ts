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
  // Outgoing TLS through node:tls: Bun.connect closes a link whose server chain fails verification
  // before reporting why, so the log could not say "certificate" (plain TCP stays native).
  dialTcp: (opts) => (opts.tls ? nodeSockets.dialTcp(opts) : dialTcp(opts)),
  // Bun.udpSocket costs ~35% less CPU per datagram, but its receive buffer cannot be raised: of a
  // burst from 500 chargers at once it heard ~290, node:dgram with 1 MiB all 500.
  bindUdp: nodeSockets.bindUdp,
  listenWebSocket,
  serveHttp,
  // Bun's node:tty cannot read a non-blocking tty; Bun's own file reader polls it.
  openSerial,
};
