// The Node compatibility layer (node:net, node:tls, node:dgram, node:http, node:tty, ws), which Bun
// and Deno both provide: the adapter every runtime can fall back to.
import { isDeno } from "../runtime.ts";
import type { Sockets } from "../sockets.ts";
import { serveHttp } from "./node-http.ts";
import { openSerial } from "./node-serial.ts";
import { dialTcp, listenTcp } from "./node-tcp.ts";
import { bindUdp, NODE_UDP_RECV_BUFFER } from "./node-udp.ts";
import { listenWebSocket } from "./node-websocket.ts";

export const nodeSockets: Sockets = {
  name: "node",
  listenTcp,
  dialTcp,
  // Not on Deno: its node:dgram then reads into buffers of that size, which make bench showed costs ~4×
  // the throughput and ~2.5× the memory per charger.
  bindUdp: (opts, onDatagram) => bindUdp(opts, onDatagram, isDeno() ? undefined : NODE_UDP_RECV_BUFFER),
  listenWebSocket,
  serveHttp,
  // Right on Node only: Bun's node:tty cannot read a non-blocking tty, Deno's blocks a thread per
  // read; their adapters read the line their own way.
  openSerial,
};
