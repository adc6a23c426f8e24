// Run by test/lib/full-collector.test.ts in another runtime: a burst of 64 MiB of buffers of which
// one in fifty stays alive (so the allocator's heap is full of holes, as after a burst of
// datagrams), then the bridge's full collection. Prints RSS in MiB before the burst, at its peak, and the lowest in
// the seconds after it (Bun's allocator hands pages back on its own thread, within ~0.1 s).
import { fullCollector } from "../../lib/runtime.ts";

const collect = await fullCollector();
if (!collect) throw new Error("no full collection on this runtime");
const rss = () => Math.round(process.memoryUsage.rss() / 1048576);
collect();
const before = rss();
const kept: Uint8Array[] = [];
let burst: Uint8Array[] = [];
for (let i = 0; i < 4096; i++) {
  const b = new Uint8Array(16384);
  // Touched at both ends, so every page counts in RSS.
  b[0] = b[16383] = 1;
  burst.push(b);
  if (i % 50 === 49) kept.push(b);
}
const peak = rss();
burst = [];
collect();
let after = rss();
// Up to 3 s for the allocator's own thread (a loaded machine is slower), less once most is back.
for (let i = 0; i < 60 && after - before > (peak - before) / 8; i++) {
  await new Promise((r) => setTimeout(r, 50));
  after = Math.min(after, rss());
}
console.log(JSON.stringify({ before, peak, after, kept: kept.length }));
