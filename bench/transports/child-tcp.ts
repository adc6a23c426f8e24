// TCP bench, both sides through the adapter under test: an echo server; a client that measures
// round trips, pipelined echo throughput, and holds idle connections (each with a pending read, as
// a bridge's links always have).
import type { Link } from "../../lib/link.ts";
import { type BenchAdapter, need, percentile, sleep } from "./adapters.ts";

const MSG = 64;

export async function tcpServer(a: BenchAdapter): Promise<{ port: number }> {
  const l = await need(a, "listenTcp")({ host: "127.0.0.1", port: 0 }, (link) => void link.readable.pipeTo(link.writable).catch(() => {}));
  return { port: l.port };
}

async function readBytes(r: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<void> {
  for (let got = 0; got < n; ) {
    const x = await r.read();
    if (x.done) throw new Error("closed");
    got += x.value.length;
  }
}

export function tcpClient(a: BenchAdapter, port: number) {
  const dial = () => need(a, "dialTcp")({ host: "127.0.0.1", port });
  const idle: Link[] = [];
  let gone = 0;
  return {
    async latency(n: number) {
      const link = await dial();
      const w = link.writable.getWriter();
      const r = link.readable.getReader();
      const msg = new Uint8Array(MSG);
      const us: number[] = [];
      for (let i = 0; i < n + 200; i++) {
        const t0 = performance.now();
        await w.write(msg);
        await readBytes(r, MSG);
        if (i >= 200) us.push((performance.now() - t0) * 1000);
      }
      link.close();
      return { p50_us: percentile(us, 0.5), p99_us: percentile(us, 0.99) };
    },
    async throughput(conns: number, ms: number, window: number) {
      let echoed = 0;
      let stop = false;
      const links = await Promise.all(Array.from({ length: conns }, dial));
      const runs = links.map(async (link) => {
        const w = link.writable.getWriter();
        const r = link.readable.getReader();
        let sent = 0;
        let back = 0;
        let wake: (() => void) | undefined;
        const reading = (async () => {
          for (;;) {
            const x = await r.read().catch(() => ({ done: true as const, value: undefined }));
            if (x.done) return wake?.();
            back += x.value.length;
            echoed += x.value.length;
            wake?.();
          }
        })();
        const msg = new Uint8Array(MSG);
        while (!stop) {
          if (sent - back / MSG < window) {
            await w.write(msg).catch(() => {});
            sent++;
          } else await new Promise<void>((res) => (wake = res));
        }
        await reading;
      });
      await sleep(300);
      const start = echoed;
      const t0 = performance.now();
      await sleep(ms);
      const msgs = (echoed - start) / MSG / ((performance.now() - t0) / 1000);
      stop = true;
      for (const l of links) l.close();
      await Promise.race([Promise.all(runs), sleep(2000)]);
      return { msgs_per_s: Math.round(msgs), total: Math.floor(echoed / MSG) };
    },
    async idle(total: number) {
      while (idle.length < total) {
        const batch = await Promise.all(Array.from({ length: Math.min(100, total - idle.length) }, dial));
        for (const link of batch) {
          idle.push(link);
          void link.closed.then(() => gone++);
          void link.readable.pipeTo(new WritableStream()).catch(() => {});
        }
      }
      await sleep(300);
      return { open: idle.length - gone };
    },
    async closeIdle() {
      for (const l of idle.splice(0)) l.close();
      return { open: 0 };
    },
  };
}
