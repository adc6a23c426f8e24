// Every native transport file of the runtime we run on, whether or not lib/runtime/<runtime>.ts
// selects it (it may lose to the node layer in bench/transports/): the benches measure them, and
// the checks keep them working. A transport without a native file on this runtime is left out.
import { isBun, isDeno } from "../../lib/runtime.ts";
import type { Sockets } from "../../lib/sockets.ts";

export type NativeParts = Partial<Omit<Sockets, "name">>;

export async function nativeParts(): Promise<NativeParts> {
  if (isBun()) {
    const [tcp, udp, ws, http, serial] = await Promise.all([
      import("../../lib/runtime/bun-tcp.ts"),
      import("../../lib/runtime/bun-udp.ts"),
      import("../../lib/runtime/bun-websocket.ts"),
      import("../../lib/runtime/bun-http.ts"),
      import("../../lib/runtime/bun-serial.ts"),
    ]);
    return { listenTcp: tcp.listenTcp, dialTcp: tcp.dialTcp, bindUdp: udp.bindUdp, listenWebSocket: ws.listenWebSocket, serveHttp: http.serveHttp, openSerial: serial.openSerial };
  }
  if (isDeno()) {
    const [tcp, ws, http, serial] = await Promise.all([
      import("../../lib/runtime/deno-tcp.ts"),
      import("../../lib/runtime/deno-websocket.ts"),
      import("../../lib/runtime/deno-http.ts"),
      import("../../lib/runtime/deno-serial.ts"),
    ]);
    // No stable native UDP on Deno (Deno.listenDatagram needs --unstable-net).
    return { listenTcp: tcp.listenTcp, dialTcp: tcp.dialTcp, listenWebSocket: ws.listenWebSocket, serveHttp: http.serveHttp, openSerial: serial.openSerial };
  }
  return {};
}

/** The native parts over the node layer: a complete Sockets for the checks. */
export async function nativeSockets(): Promise<Sockets> {
  const { nodeSockets } = await import("../../lib/runtime/node.ts");
  return { ...nodeSockets, ...(await nativeParts()), name: "native" };
}
