// Bun's adapter: Bun's own sockets where bench/transports/ measured them at least as fast and as
// lean as the node layer, the node files elsewhere (numbers in the README's transport table).
// Imports only what every bridge uses: the node layer's TLS client (node:tls) and the serial line
// (node:child_process for stty) are loaded when first asked for. Loading the whole node layer for
// its UDP socket cost the start-up ~5 ms and node:http and ws with it.
import type { Sockets } from "../sockets.ts";
import { serveHttp } from "./bun-http.ts";
import { dialTcp, listenTcp } from "./bun-tcp.ts";
import { listenWebSocket } from "./bun-websocket.ts";
import { bindUdp, NODE_UDP_RECV_BUFFER } from "./node-udp.ts";

export const bunSockets: Sockets = {
  name: "bun",
  listenTcp,
  // Outgoing TLS through node:tls: Bun.connect closes a link whose server chain fails verification
  // before reporting why, so the log could not say "certificate" (plain TCP stays native).
  dialTcp: async (opts) => (opts.tls ? (await import("./node-tcp.ts")).dialTcp(opts) : dialTcp(opts)),
  // Bun.udpSocket costs ~35% less CPU per datagram, but its receive buffer cannot be raised: of a
  // burst from 500 chargers at once it heard ~290, node:dgram with 1 MiB all 500.
  bindUdp: (opts, onDatagram) => bindUdp(opts, onDatagram, NODE_UDP_RECV_BUFFER),
  listenWebSocket,
  serveHttp,
  // Bun's node:tty cannot read a non-blocking tty; Bun's own file reader polls it.
  openSerial: async (opts) => (await import("./bun-serial.ts")).openSerial(opts),
};
