// The floor under the bridge's idle RSS: a Bun program that holds the same sockets the idle bench
// bridge holds (TCP listener, WebSocket server, UDP socket, one MQTT connection) through the same
// Bun APIs its adapters use (lib/runtime/bun.ts), and does nothing else. bench/floor.ts compiles it
// like the bridge and reads its RSS; the difference is what evse2mqtt itself costs.
//   floor <broker host:port> <tcp port> <ws port> <udp port>
import { createSocket } from "node:dgram";

const [broker = "", tcpPort = "0", wsPort = "0", udpPort = "0"] = process.argv.slice(2);
const colon = broker.lastIndexOf(":");
const brokerHost = broker.slice(0, colon);
const brokerPort = Number(broker.slice(colon + 1));

/** MQTT 3.1.1 CONNECT, clean session, no keep-alive (the broker then never drops us), client id `id`. */
function connectPacket(id: string): Uint8Array {
  const idBytes = new TextEncoder().encode(id);
  const variable = [0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0];
  const rest = variable.length + 2 + idBytes.length;
  if (rest > 127) throw new Error("client id too long for this one-byte length");
  return Uint8Array.from([0x10, rest, ...variable, idBytes.length >> 8, idBytes.length & 0xff, ...idBytes]);
}

Bun.listen({ hostname: "127.0.0.1", port: Number(tcpPort), socket: { data() {} } });
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(wsPort),
  fetch(req, server) {
    return server.upgrade(req) ? undefined : new Response("upgrade expected", { status: 426 });
  },
  websocket: { message() {} },
});
const udp = createSocket("udp4");
await new Promise<void>((resolve) => udp.bind(Number(udpPort), "127.0.0.1", resolve));
await new Promise<void>((resolve, reject) => {
  void Bun.connect({
    hostname: brokerHost,
    port: brokerPort,
    socket: {
      open(s) {
        s.write(connectPacket(`floor${process.pid}`));
      },
      data(_s, bytes) {
        // CONNACK: 0x20, length 2, flags, return code 0 = accepted.
        if (bytes[0] === 0x20 && bytes[3] === 0) resolve();
        else reject(new Error(`broker refused: ${[...bytes].join(",")}`));
      },
      error(_s, err) {
        reject(err);
      },
      connectError(_s, err) {
        reject(err);
      },
    },
  });
});
process.stdout.write("floor ready\n");
