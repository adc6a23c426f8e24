// Reads a Server-Sent Events stream (a Response body) into events, for tests that wait for one.
export interface SseEvent {
  event: string;
  data: string;
  at: number;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  /** Bytes read, comments and retry lines included. */
  bytes = 0;
  ended = false;
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private waiters: { from: number; pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
    void this.pump();
  }

  private async pump(): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const r = await this.reader.read();
        if (r.done) break;
        this.bytes += r.value.byteLength;
        buf += dec.decode(r.value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length > 0) this.push({ event, data: data.join("\n"), at: Date.now() });
        }
      }
    } catch {
      // cancelled or cut: `ended` tells
    }
    this.ended = true;
  }

  private push(e: SseEvent): void {
    const index = this.events.length;
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (index < w.from || !w.pred(e)) return true;
      w.resolve(e);
      return false;
    });
  }

  /** The index the next event will get. */
  mark(): number {
    return this.events.length;
  }

  /** The first event from index `from` on that matches; bounded. */
  wait(pred: (e: SseEvent) => boolean, what: string, timeoutMs = 5000, from = 0): Promise<SseEvent> {
    const found = this.events.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for event: ${what}`)), timeoutMs);
      this.waiters.push({ from, pred, resolve: (e) => {
        clearTimeout(t);
        resolve(e);
      } });
    });
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}

/** The JSON of an event's data. */
export function dataOf<T>(e: SseEvent): T {
  return JSON.parse(e.data) as T;
}
