import { timingSafeEqual } from "node:crypto";
import net from "node:net";
import { Aedes, type AuthenticateError } from "aedes";
import type { Logger } from "./log.ts";

export interface EmbeddedBroker {
  port: number;
  close(): Promise<void>;
}

export interface BrokerAuth {
  username: string;
  password: string;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  // Compared at equal length so the time taken tells nothing about where the first difference is.
  const len = Math.max(a.length, b.length, 1);
  const pa = new Uint8Array(len);
  const pb = new Uint8Array(len);
  pa.set(a);
  pb.set(b);
  return timingSafeEqual(pa, pb) && a.length === b.length;
}

/** How long closing waits for clients to take what is still being sent to them. */
const CLOSE_FLUSH_MS = 500;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/**
 * An in-process MQTT broker (aedes) so one binary is enough on a bare router. With `auth`, every
 * client must present those credentials; without, it should only listen on loopback.
 */
export async function startEmbeddedBroker(host: string, port: number, log: Logger, auth?: BrokerAuth): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker(
    auth
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = same(new TextEncoder().encode(username ?? ""), new TextEncoder().encode(auth.username)) && same(password ?? new Uint8Array(0), new TextEncoder().encode(auth.password));
            if (ok) return done(null, true);
            const err: AuthenticateError = Object.assign(new Error("bad user name or password"), { returnCode: 4 as const });
            done(err, false);
          },
        }
      : {},
  );
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
  log.info("embedded MQTT broker listening", { listen: `${host}:${actual}`, auth: auth ? "user name and password required" : "none" });
  if (!auth && !isLoopback(host)) {
    log.warn("embedded MQTT broker listens beyond loopback without a password: anyone on the network can read the chargers and command them; set [mqtt] username and password", { listen: `${host}:${actual}` });
  }
  return {
    port: actual,
    close: async () => {
      server.close();
      // What the broker has accepted still goes out first (the bridge's own `offline`, published
      // and acknowledged just before this): a few turns for aedes to hand it to the sockets, then
      // each connection ends after its pending writes, bounded so a client that never reads
      // cannot hold up a shutdown.
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
      const until = Date.now() + CLOSE_FLUSH_MS;
      while ([...sockets].some((s) => s.writableLength > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const ended = Promise.all([...sockets].map((s) => new Promise<void>((r) => (s.closed ? r() : s.once("close", () => r())))));
      for (const s of sockets) s.end();
      await Promise.race([ended, new Promise((r) => setTimeout(r, CLOSE_FLUSH_MS))]);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
