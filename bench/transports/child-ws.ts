// WebSocket bench: an echo server through the adapter under test, and one load client for every
// server (the runtime's global WebSocket, run under Bun), so only the server differs.
import type { Listener } from "../../lib/sockets.ts";
import { type BenchAdapter, need, percentile, sleep } from "./adapters.ts";

const MSG = "x".repeat(64);

export async function wsServer(a: BenchAdapter): Promise<{ port: number; server: Listener }> {
  const server = await need(a, "listenWebSocket")<null>({
    host: "127.0.0.1",
    port: 0,
    pingIntervalMs: 0,
    maxMissedPongs: 2,
    maxPayload: 65536,
    maxQueued: 100_000,
    decide: () => ({ accept: true, protocol: null, context: null }),
    onConnection: (link) => void link.readable.pipeTo(link.writable).catch(() => {}),
  });
  return { port: server.port, server };
}

function connect(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error("websocket did not open"));
  });
}

export function wsClient(port: number) {
  const idle: WebSocket[] = [];
  return {
    async latency(n: number) {
      const ws = await connect(port);
      let got: (() => void) | undefined;
      ws.onmessage = () => got?.();
      const us: number[] = [];
      for (let i = 0; i < n + 200; i++) {
        const t0 = performance.now();
        const back = new Promise<void>((res) => (got = res));
        ws.send(MSG);
        await back;
        if (i >= 200) us.push((performance.now() - t0) * 1000);
      }
      ws.close();
      return { p50_us: percentile(us, 0.5), p99_us: percentile(us, 0.99) };
    },
    async throughput(conns: number, ms: number, window: number) {
      let echoed = 0;
      let stop = false;
      const socks = await Promise.all(Array.from({ length: conns }, () => connect(port)));
      for (const ws of socks) {
        let inFlight = 0;
        const fill = () => {
          while (!stop && inFlight < window) {
            ws.send(MSG);
            inFlight++;
          }
        };
        ws.onmessage = () => {
          echoed++;
          inFlight--;
          fill();
        };
        fill();
      }
      await sleep(300);
      const start = echoed;
      const t0 = performance.now();
      await sleep(ms);
      const rate = (echoed - start) / ((performance.now() - t0) / 1000);
      stop = true;
      for (const ws of socks) ws.close();
      return { msgs_per_s: Math.round(rate), total: echoed };
    },
    async idle(total: number) {
      while (idle.length < total) idle.push(...(await Promise.all(Array.from({ length: Math.min(100, total - idle.length) }, () => connect(port)))));
      await sleep(300);
      return { open: idle.filter((ws) => ws.readyState === WebSocket.OPEN).length };
    },
    async closeIdle() {
      for (const ws of idle.splice(0)) ws.close();
      return { open: 0 };
    },
  };
}
