// UDP bench, both sides through the adapter under test: an echo socket that also counts what it
// hears; a client that measures round trips, windowed echo throughput, and a burst of single
// datagrams from many sockets at once (what hundreds of chargers reporting together look like).
import type { UdpSocket } from "../../lib/sockets.ts";
import { type BenchAdapter, need, percentile, sleep } from "./adapters.ts";

const MSG = 64;

export async function udpServer(a: BenchAdapter): Promise<{ port: number; heard: () => number }> {
  let heard = 0;
  const sock: UdpSocket = await need(a, "bindUdp")({ bind: "127.0.0.1", port: 0 }, (d) => {
    heard++;
    void sock.send(d.data, d.address, d.port).catch(() => {});
  });
  return { port: sock.port, heard: () => heard };
}

export function udpClient(a: BenchAdapter, port: number) {
  const bind = (onData: () => void) => need(a, "bindUdp")({ bind: "127.0.0.1", port: 0 }, onData);
  return {
    async latency(n: number) {
      let got: (() => void) | undefined;
      const sock = await bind(() => got?.());
      const us: number[] = [];
      const msg = new Uint8Array(MSG);
      for (let i = 0; i < n + 200; i++) {
        const t0 = performance.now();
        const back = new Promise<boolean>((res) => {
          got = () => res(true);
          setTimeout(() => res(false), 200);
        });
        await sock.send(msg, "127.0.0.1", port);
        if ((await back) && i >= 200) us.push((performance.now() - t0) * 1000);
      }
      await sock.close();
      return { p50_us: percentile(us, 0.5), p99_us: percentile(us, 0.99) };
    },
    async throughput(conns: number, ms: number, window: number) {
      let echoed = 0;
      let stop = false;
      const runs = Array.from({ length: conns }, async () => {
        let inFlight = 0;
        let wake: (() => void) | undefined;
        const sock = await bind(() => {
          echoed++;
          inFlight--;
          wake?.();
        });
        const msg = new Uint8Array(MSG);
        while (!stop) {
          if (inFlight < window) {
            inFlight++;
            await sock.send(msg, "127.0.0.1", port).catch(() => {});
          } else {
            // A lost datagram must not stall the window for good.
            const woke = await new Promise<boolean>((res) => {
              wake = () => res(true);
              setTimeout(() => res(false), 50);
            });
            if (!woke) inFlight = 0;
          }
        }
        await sock.close();
      });
      await sleep(300);
      const start = echoed;
      const t0 = performance.now();
      await sleep(ms);
      const rate = (echoed - start) / ((performance.now() - t0) / 1000);
      stop = true;
      await Promise.all(runs);
      return { msgs_per_s: Math.round(rate), total: echoed };
    },
    /** `senders` sockets each send one 250-byte datagram, all at once; the parent asks the server what arrived. */
    async burst(senders: number) {
      const socks = await Promise.all(Array.from({ length: senders }, () => bind(() => {})));
      const msg = new Uint8Array(250);
      await Promise.all(socks.map((s) => s.send(msg, "127.0.0.1", port).catch(() => {})));
      await sleep(500);
      await Promise.all(socks.map((s) => s.close()));
      return { sent: senders };
    },
  };
}
