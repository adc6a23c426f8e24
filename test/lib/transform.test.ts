// The stream halves of a transformer (lib/transform.ts): what framed() and every session rely on.
import { expect, test } from "bun:test";
import { type Step, transformReadable, transformWritable } from "../../lib/transform.ts";

/** Bytes in any split → one string per "\n"-terminated line; the rest at the end (flush). */
function lines(): Step<string, string> {
  let buf = "";
  return {
    transform(chunk, c) {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        c.enqueue(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
    flush(c) {
      if (buf) c.enqueue(`rest:${buf}`);
    },
  };
}

function source<T>(chunks: T[]): { stream: ReadableStream<T>; pulled: () => number } {
  let i = 0;
  const stream = new ReadableStream<T>(
    {
      pull(c) {
        if (i < chunks.length) c.enqueue(chunks[i++] as T);
        else c.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => i };
}

/** Resolves after every queued microtask has run (a timer callback is a macrotask). */
const microtasksDrained = () => new Promise((r) => setTimeout(r, 0));

async function all<T>(r: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of r) out.push(x);
  return out;
}

test("readable: a frame split over chunks comes out whole, several in one chunk each come out, flush runs at the end", async () => {
  const { stream } = source(["a", "b\nc\nd", "", "\ne"]);
  expect(await all(transformReadable(stream, lines()))).toEqual(["ab", "c", "d", "rest:e"]);
});

test("readable: nothing is read from the source beyond what the consumer asked for (back-pressure)", async () => {
  const { stream, pulled } = source(["1\n", "2\n", "3\n", "4\n", "5\n"]);
  const reader = transformReadable(stream, lines(), { highWaterMark: 0 }).getReader();
  expect((await reader.read()).value).toBe("1");
  // Read-ahead would run in microtasks; a macrotask comes after all of them (the sentinel).
  await microtasksDrained();
  expect(pulled()).toBe(1);
  expect((await reader.read()).value).toBe("2");
  expect(pulled()).toBe(2);
  await reader.cancel();
});

test("readable: a throwing transformer errors the result and cancels the source", async () => {
  let cancelled: unknown;
  const src = new ReadableStream<string>({
    start(c) {
      c.enqueue("ok");
      c.enqueue("boom");
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const out = transformReadable<string, string>(src, {
    transform(chunk, c) {
      if (chunk === "boom") throw new Error("bad chunk");
      c.enqueue(chunk);
    },
  });
  const reader = out.getReader();
  expect((await reader.read()).value).toBe("ok");
  await expect(reader.read()).rejects.toThrow("bad chunk");
  await reader.closed.catch(() => {});
  expect(cancelled).toBeInstanceOf(Error);
});

test("readable: cancelling the result cancels the source; controller.terminate() closes it", async () => {
  let cancelled = false;
  const src = new ReadableStream<string>({
    pull(c) {
      c.enqueue("x\n");
    },
    cancel() {
      cancelled = true;
    },
  });
  const r = transformReadable(src, lines()).getReader();
  expect((await r.read()).value).toBe("x");
  await r.cancel("done");
  expect(cancelled).toBe(true);

  const endless = new ReadableStream<number>({ pull: (c) => c.enqueue(1) });
  let seen = 0;
  const terminated = transformReadable<number, number>(endless, {
    transform(n, c) {
      if (++seen === 3) return c.terminate();
      c.enqueue(n);
    },
  });
  expect(await all(terminated)).toEqual([1, 1]);
});

test("readable: events enqueued outside transform (from a timer) reach the reader", async () => {
  let out: TransformStreamDefaultController<string> | undefined;
  const src = new ReadableStream<string>({}); // never produces
  const r = transformReadable<string, string>(src, { start: (c) => void (out = c), transform: () => {} }).getReader();
  setTimeout(() => out?.enqueue("tick"), 5);
  expect((await r.read()).value).toBe("tick");
  await r.cancel();
});

test("writable: frames are encoded in order into the target; close flushes and closes the target", async () => {
  const got: string[] = [];
  let closed = false;
  const target = new WritableStream<string>({
    write: (s) => void got.push(s),
    close: () => void (closed = true),
  });
  const w = transformWritable<string, string>(target, lines()).getWriter();
  await w.write("a\nb");
  await w.write("c\n");
  await w.write("tail");
  await w.close();
  expect(got).toEqual(["a", "bc", "rest:tail"]);
  expect(closed).toBe(true);
});

test("writable: a write waits while the target is full, and a failed target fails the next write and is reported once", async () => {
  let release: () => void = () => {};
  const target = new WritableStream<string>(
    {
      write: (s) => (s === "slow" ? new Promise<void>((r) => (release = r)) : s === "fail" ? Promise.reject(new Error("socket gone")) : undefined),
    },
    // Room for one write in flight: the second waits for it.
    { highWaterMark: 2 },
  );
  const failures: string[] = [];
  const w = transformWritable<string, string>(target, { transform: (s, c) => c.enqueue(s) }, (err) => failures.push(String(err))).getWriter();
  let second = false;
  await w.write("slow");
  const p = w.write("next").then(() => (second = true));
  await microtasksDrained();
  expect(second).toBe(false);
  release();
  await p;
  expect(second).toBe(true);
  await w.write("fail").catch(() => {});
  await expect(w.write("after")).rejects.toThrow("socket gone");
  expect(failures).toEqual(["Error: socket gone"]);
});
