// The idle collection gives a burst's memory back to the system, not only to the runtime's own
// allocator: under Deno the freed buffers stay in glibc's heap unless malloc_trim runs after the
// collection (lib/runtime/deno-malloc-trim.ts). Bun's collection tidies its own allocator.
import { expect, test } from "bun:test";
import { BUN, DENO, run } from "./runtimes-run.ts";

const SCRIPT = "test/support/collect-after-burst.ts";

interface Readings {
  before: number;
  peak: number;
  after: number;
}

function readings(out: string): Readings {
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no readings in the output:\n${out}`);
  const r: unknown = JSON.parse(line);
  if (typeof r !== "object" || r === null || !("before" in r) || !("peak" in r) || !("after" in r)) throw new Error(`unexpected readings: ${line}`);
  const { before, peak, after } = r;
  if (typeof before !== "number" || typeof peak !== "number" || typeof after !== "number") throw new Error(`unexpected readings: ${line}`);
  return { before, peak, after };
}

/** At most a quarter of what the burst added is still held (the fiftieth kept alive is ~1.3 MiB). */
function expectMostReturned({ before, peak, after }: Readings): void {
  expect(peak - before).toBeGreaterThan(20);
  expect(after - before).toBeLessThan((peak - before) / 4);
}

test("Deno: after a 64 MiB burst the full collection returns most of it to the system", async () => {
  const { code, out } = await run([DENO, "run", "-A", SCRIPT]);
  expect(code).toBe(0);
  // Without the trim the heap stays where the burst took it (measured: 107 → 105 MiB).
  expectMostReturned(readings(out));
});

test("Bun: the same burst is returned as well", async () => {
  const { code, out } = await run([BUN, SCRIPT]);
  expect(code).toBe(0);
  expectMostReturned(readings(out));
});
