// A Transformer (what `new TransformStream(t)` takes) applied on one side of an existing stream,
// without the TransformStream and the pipe between them. `a.pipeThrough(new TransformStream(t))`
// costs a writable, a readable, two controllers and a pipe loop with its promises for every chunk;
// per connected charger the pipeline had six of those. Here the readable side pulls from the
// source's reader and the writable side writes into the destination's writer: one stream each,
// the same back-pressure (nothing is read until the consumer wants more) and the same ordering.
// Each side is one object (the stream's underlying source or sink and the transformer's
// controller at once) rather than a handful of closures: a bridge holds two per charger.
import { errorMessage, ignore } from "./errors.ts";

/** A Transformer that has a `transform` (an identity step has no place in a codec or a session). */
export type Step<I, O> = Transformer<I, O> & Pick<Required<Transformer<I, O>>, "transform">;

const isPromise = (x: unknown): x is PromiseLike<unknown> => typeof x === "object" && x !== null && "then" in x;
const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(errorMessage(err)));

/**
 * `source` seen through `t`: each read of the result reads the source until `t` has produced at
 * least one chunk (a decoder may need several pieces for one frame), `flush` runs when the
 * source ends, and an error thrown by `t` errors the result and cancels the source.
 */
export function transformReadable<I, O>(source: ReadableStream<I>, t: Step<I, O>, strategy?: QueuingStrategy<O>): ReadableStream<O> {
  return new ReadableStream<O>(new ReadSide(source.getReader(), t), strategy);
}

/**
 * Writes to the result go through `t` into `target`. A write resolves once the target has room
 * again (its back-pressure); a failed write to the target fails the next write here and is
 * reported to `onFailure` once (a link closes itself there rather than staying half open).
 */
export function transformWritable<I, O>(target: WritableStream<O>, t: Step<I, O>, onFailure?: (err: unknown) => void): WritableStream<I> {
  return new WritableStream<I>(new WriteSide(target.getWriter(), t, onFailure));
}

class ReadSide<I, O> implements UnderlyingDefaultSource<O>, TransformStreamDefaultController<O> {
  private controller: ReadableStreamDefaultController<O> | undefined;
  private produced = 0;
  private terminated = false;
  private failure: { err: unknown } | undefined;

  constructor(private readonly reader: ReadableStreamDefaultReader<I>, private readonly t: Step<I, O>) {}

  // The transformer's controller.
  get desiredSize(): number | null {
    return this.controller?.desiredSize ?? null;
  }

  enqueue(chunk: O): void {
    if (this.terminated || this.failure) throw new TypeError("enqueue after the stream ended");
    this.produced++;
    this.controller?.enqueue(chunk);
  }

  error(reason?: unknown): void {
    this.failure ??= { err: reason };
  }

  terminate(): void {
    this.terminated = true;
  }

  // The stream's underlying source.
  async start(c: ReadableStreamDefaultController<O>): Promise<void> {
    this.controller = c;
    const r = this.t.start?.(this);
    if (isPromise(r)) await r;
    this.settle(c);
  }

  async pull(c: ReadableStreamDefaultController<O>): Promise<void> {
    const before = this.produced;
    while (this.produced === before) {
      const next = await this.reader.read();
      try {
        const r = next.done ? this.t.flush?.(this) : this.t.transform(next.value, this);
        if (isPromise(r)) await r;
      } catch (err) {
        this.fail(err);
      }
      if (this.settle(c)) return;
      if (next.done) return c.close();
    }
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason);
  }

  private fail(err: unknown): never {
    this.reader.cancel(err).catch(ignore);
    throw asError(err);
  }

  /** An error() or terminate() the transformer called ends the stream here, as a TransformStream would. */
  private settle(c: ReadableStreamDefaultController<O>): boolean {
    if (this.failure) this.fail(this.failure.err);
    if (!this.terminated) return false;
    this.reader.cancel().catch(ignore);
    c.close();
    return true;
  }
}

class WriteSide<I, O> implements UnderlyingSink<I>, TransformStreamDefaultController<O> {
  private failure: { err: unknown } | undefined;

  constructor(private readonly writer: WritableStreamDefaultWriter<O>, private readonly t: Step<I, O>, private readonly onFailure?: (err: unknown) => void) {}

  // The transformer's controller.
  get desiredSize(): number | null {
    return this.writer.desiredSize;
  }

  enqueue(chunk: O): void {
    this.writer.write(chunk).catch((err: unknown) => this.failed(err));
  }

  error(reason?: unknown): void {
    this.failed(reason);
  }

  terminate(): void {
    this.failed(new TypeError("the encoder terminated"));
  }

  // The stream's underlying sink.
  async start(): Promise<void> {
    const r = this.t.start?.(this);
    if (isPromise(r)) await r;
  }

  async write(chunk: I): Promise<void> {
    this.check();
    const r = this.t.transform(chunk, this);
    if (isPromise(r)) await r;
    this.check();
    // ready rejects when the target fails; that failure is reported through `failed` as well.
    await this.writer.ready.catch((err: unknown) => this.failed(err));
    this.check();
  }

  async close(): Promise<void> {
    const r = this.t.flush?.(this);
    if (isPromise(r)) await r;
    this.check();
    await this.writer.close();
  }

  abort(reason?: unknown): Promise<void> {
    return this.writer.abort(reason);
  }

  private failed(err: unknown): void {
    if (this.failure) return;
    this.failure = { err };
    this.onFailure?.(err);
  }

  private check(): void {
    if (this.failure) throw asError(this.failure.err);
  }
}
