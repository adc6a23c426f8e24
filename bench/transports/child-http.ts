// HTTP bench: a small-answer server through the adapter under test, and one load client for every
// server (fetch with keep-alive, and raw sockets for idle keep-alive connections, under Bun).
import net from "node:net";
import type { Listener } from "../../lib/sockets.ts";
import { type BenchAdapter, need, percentile, sleep } from "./adapters.ts";

export async function httpServer(a: BenchAdapter): Promise<{ port: number; server: Listener }> {
  const server = await need(a, "serveHttp")({ host: "127.0.0.1", port: 0 }, () => new Response("ok\n", { headers: { "content-type": "text/plain" } }));
  return { port: server.port, server };
}

function keepAlive(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("error", reject);
    s.once("connect", () => s.write("GET / HTTP/1.1\r\nHost: bench\r\n\r\n"));
    s.once("data", () => resolve(s));
    s.on("close", () => s.destroy());
  });
}

export function httpClient(port: number) {
  const url = `http://127.0.0.1:${port}/`;
  const idle: net.Socket[] = [];
  return {
    async latency(n: number) {
      const us: number[] = [];
      for (let i = 0; i < n + 200; i++) {
        const t0 = performance.now();
        await (await fetch(url)).text();
        if (i >= 200) us.push((performance.now() - t0) * 1000);
      }
      return { p50_us: percentile(us, 0.5), p99_us: percentile(us, 0.99) };
    },
    async throughput(conns: number, ms: number) {
      let done = 0;
      let stop = false;
      const loops = Array.from({ length: conns }, async () => {
        while (!stop) {
          await (await fetch(url)).text();
          done++;
        }
      });
      await sleep(300);
      const start = done;
      const t0 = performance.now();
      await sleep(ms);
      const rate = (done - start) / ((performance.now() - t0) / 1000);
      stop = true;
      await Promise.all(loops);
      return { msgs_per_s: Math.round(rate), total: done };
    },
    async idle(total: number) {
      while (idle.length < total) idle.push(...(await Promise.all(Array.from({ length: Math.min(100, total - idle.length) }, () => keepAlive(port)))));
      await sleep(300);
      // A server may close idle keep-alive connections: only the ones still open count.
      return { open: idle.filter((s) => !s.destroyed && s.readyState === "open").length };
    },
    async closeIdle() {
      for (const s of idle.splice(0)) s.destroy();
      return { open: 0 };
    },
  };
}
