// A Transformer (what `new TransformStream(t)` takes) applied on one side of an existing stream,
// without the TransformStream and the pipe between them. `a.pipeThrough(new TransformStream(t))`
// costs a writable, a readable, two controllers and a pipe loop with its promises for every chunk;
// per connected charger the pipeline had six of those. Here the readable side pulls from the
// source's reader and the writable side writes into the destination's writer: one stream each,
// the same back-pressure (nothing is read until the consumer wants more) and the same ordering.
import { errorMessage } from "./errors.ts";

/** What a transformer sees as its controller; `produced` counts enqueued chunks. */
class Outlet<O> implements TransformStreamDefaultController<O> {
  produced = 0;
  terminated = false;
  failure: unknown = undefined;
  failed = false;

  constructor(private readonly out: (chunk: O) => void, private readonly size: () => number | null) {}

  get desiredSize(): number | null {
    return this.size();
  }

  enqueue(chunk: O): void {
    if (this.terminated || this.failed) throw new TypeError("enqueue after the stream ended");
    this.produced++;
    this.out(chunk);
  }

  error(reason?: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = reason;
  }

  terminate(): void {
    this.terminated = true;
  }
}

const isPromise = (x: unknown): x is PromiseLike<unknown> => typeof x === "object" && x !== null && "then" in x;

/** A Transformer that has a `transform` (an identity step has no place in a codec or a session). */
export type Step<I, O> = Transformer<I, O> & Pick<Required<Transformer<I, O>>, "transform">;

/**
 * `source` seen through `t`: each read of the result reads the source until `t` has produced at
 * least one chunk (a decoder may need several pieces for one frame), `flush` runs when the
 * source ends, and an error thrown by `t` errors the result and cancels the source.
 */
export function transformReadable<I, O>(source: ReadableStream<I>, t: Step<I, O>, strategy?: QueuingStrategy<O>): ReadableStream<O> {
  const reader = source.getReader();
  let controller: ReadableStreamDefaultController<O> | undefined;
  const outlet = new Outlet<O>(
    (chunk) => controller?.enqueue(chunk),
    () => controller?.desiredSize ?? null,
  );
  const fail = (err: unknown) => {
    reader.cancel(err).catch(() => {});
    throw err instanceof Error ? err : new Error(errorMessage(err));
  };
  // An error() or terminate() the transformer called ends the stream here, the way a TransformStream would.
  const settle = (c: ReadableStreamDefaultController<O>): boolean => {
    if (outlet.failed) fail(outlet.failure);
    if (!outlet.terminated) return false;
    reader.cancel().catch(() => {});
    c.close();
    return true;
  };
  return new ReadableStream<O>({
    start: async (c) => {
      controller = c;
      const r = t.start?.(outlet);
      if (isPromise(r)) await r;
      settle(c);
    },
    pull: async (c) => {
      const before = outlet.produced;
      while (outlet.produced === before) {
        const next = await reader.read();
        if (next.done) {
          try {
            const r = t.flush?.(outlet);
            if (isPromise(r)) await r;
          } catch (err) {
            fail(err);
          }
          if (!settle(c)) c.close();
          return;
        }
        try {
          const r = t.transform(next.value, outlet);
          if (isPromise(r)) await r;
        } catch (err) {
          fail(err);
        }
        if (settle(c)) return;
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, strategy);
}

/**
 * Writes to the result go through `t` into `target`. A write resolves once the target has room
 * again (its back-pressure); a failed write to the target fails the next write here and is
 * reported to `onFailure` once (a link closes itself there rather than staying half open).
 */
export function transformWritable<I, O>(target: WritableStream<O>, t: Step<I, O>, onFailure?: (err: unknown) => void): WritableStream<I> {
  const writer = target.getWriter();
  let failure: { err: unknown } | undefined;
  const failed = (err: unknown) => {
    if (failure) return;
    failure = { err };
    onFailure?.(err);
  };
  const outlet = new Outlet<O>(
    (chunk) => void writer.write(chunk).catch(failed),
    () => writer.desiredSize,
  );
  const check = () => {
    if (outlet.failed) failed(outlet.failure);
    if (failure) throw failure.err instanceof Error ? failure.err : new Error(errorMessage(failure.err));
  };
  return new WritableStream<I>({
    start: async () => {
      const r = t.start?.(outlet);
      if (isPromise(r)) await r;
    },
    write: async (chunk) => {
      check();
      const r = t.transform(chunk, outlet);
      if (isPromise(r)) await r;
      check();
      // ready rejects when the target fails; the failure is reported through `failed` as well.
      await writer.ready.catch((err: unknown) => failed(err));
      check();
    },
    close: async () => {
      const r = t.flush?.(outlet);
      if (isPromise(r)) await r;
      check();
      await writer.close();
    },
    abort: (reason) => writer.abort(reason),
  });
}
