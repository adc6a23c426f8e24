// A Link of decoded OCPP frames in memory, for driving an OcppSession without sockets: frames are
// handed out when the session pulls them (so back-pressure shows as pulls not made), and what the
// session writes is collected.
import type { CloseInfo, Link } from "../../../lib/link.ts";
import type { Decoded, Frame } from "../../../protocols/ocpp/codec.ts";
import type { SessionEvent } from "../../../protocols/ocpp/session.ts";

export interface MemoryLink {
  link: Link<Decoded, Frame>;
  /** Frames the session wrote, in order. */
  sent: Frame[];
  /** How many frames the session has read so far. */
  readonly pulls: number;
  /** How often the session asked to close the link. */
  readonly closes: number;
}

/** `next(i)` gives the i-th frame (0-based) or undefined for the end of the connection, at once or later. */
export function memoryLink(next: (i: number) => Decoded | undefined | Promise<Decoded | undefined>): MemoryLink {
  let pulls = 0;
  let closes = 0;
  let done: (c: CloseInfo) => void = () => {};
  const closed = new Promise<CloseInfo>((r) => (done = r));
  const sent: Frame[] = [];
  const readable = new ReadableStream<Decoded>({
    async pull(c) {
      const d = await next(pulls);
      if (d === undefined) {
        c.close();
        done({ reason: "end of test input", code: 1000 });
        return;
      }
      pulls++;
      c.enqueue(d);
    },
  }, { highWaterMark: 0 });
  const writable = new WritableStream<Frame>({ write: (f) => void sent.push(f) });
  return {
    link: { readable, writable, remote: "memory:0", closed, close: () => void closes++ },
    sent,
    get pulls() {
      return pulls;
    },
    get closes() {
      return closes;
    },
  };
}

/**
 * Reads every event of a session and marks each CALL handled at once, as the listener's sink does
 * once MQTT has it (a session answers only while its events are read and handled).
 */
export async function drain(events: ReadableStream<SessionEvent>): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  const reader = events.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    if (r.value.kind === "call") r.value.handled();
    out.push(r.value);
  }
}
