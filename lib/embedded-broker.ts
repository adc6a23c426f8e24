import net from "node:net";
import { Aedes } from "aedes";
import type { Logger } from "./log.ts";

export interface EmbeddedBroker {
  port: number;
  close(): Promise<void>;
}

/** An in-process MQTT broker (aedes) so one binary is enough on a bare router. */
export async function startEmbeddedBroker(host: string, port: number, log: Logger): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  broker.on("clientError", (client, err) => log.debug("embedded broker client error", { client: client.id, error: err.message }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`embedded MQTT broker cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen({ host, port }, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === "object" && addr ? addr.port : port;
  log.info("embedded MQTT broker listening", { listen: `${host}:${actual}` });
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => broker.close(() => resolve()));
      }),
  };
}
