// Serial bench: both ends of a socat pty pair opened through the adapter under test; one end echoes.
// Round trips and a pipelined echo of 64-byte messages (ptys ignore the baud rate, so this measures
// the adapter, not the line).
import type { Link } from "../../lib/link.ts";
import { ptyPair } from "../../test/support/pty-pair.ts";
import { type BenchAdapter, need, percentile, sleep } from "./adapters.ts";

const MSG = 64;

async function readBytes(r: ReadableStreamDefaultReader<Uint8Array>, n: number, got: { extra: number }): Promise<void> {
  let have = got.extra;
  while (have < n) {
    const x = await r.read();
    if (x.done) throw new Error("line closed");
    have += x.value.length;
  }
  got.extra = have - n;
}

export async function serialClient(a: BenchAdapter, cleanups: (() => Promise<void>)[]) {
  const pair = await ptyPair();
  cleanups.push(() => pair.dispose());
  const open = need(a, "openSerial");
  const near: Link = await open({ path: pair.a, baud: 115200 });
  const far: Link = await open({ path: pair.b, baud: 115200 });
  void far.readable.pipeTo(far.writable).catch(() => {});
  const w = near.writable.getWriter();
  const r = near.readable.getReader();
  const carry = { extra: 0 };
  return {
    async latency(n: number) {
      const msg = new Uint8Array(MSG);
      const us: number[] = [];
      for (let i = 0; i < n + 100; i++) {
        const t0 = performance.now();
        await w.write(msg);
        await readBytes(r, MSG, carry);
        if (i >= 100) us.push((performance.now() - t0) * 1000);
      }
      return { p50_us: percentile(us, 0.5), p99_us: percentile(us, 0.99) };
    },
    async throughput(_conns: number, ms: number, window: number) {
      let sent = 0;
      let back = 0;
      let stop = false;
      const msg = new Uint8Array(MSG);
      const reading = (async () => {
        while (!stop || back < sent * MSG) {
          const x = await r.read();
          if (x.done) return;
          back += x.value.length;
        }
      })();
      const writing = (async () => {
        while (!stop) {
          if (sent - back / MSG < window) {
            await w.write(msg);
            sent++;
          } else await sleep(0);
        }
      })();
      await sleep(300);
      const start = back;
      const t0 = performance.now();
      await sleep(ms);
      const rate = (back - start) / MSG / ((performance.now() - t0) / 1000);
      stop = true;
      await writing;
      await Promise.race([reading, sleep(2000)]);
      carry.extra = 0;
      return { msgs_per_s: Math.round(rate), total: Math.floor(back / MSG) };
    },
  };
}
