// The charge-point end of OCPP-J for the simulator: a MessageLink dialled with
// lib/websocket-client.ts, the same codec as the central system, our CALLs matched to their
// replies through lib/exchange.ts, the central system's CALLs answered by `handler`.
import { transformReadable } from "../../../lib/transform.ts";
import { errorMessage } from "../../../lib/errors.ts";
import { Exchange } from "../../../lib/exchange.ts";
import type { MessageLink } from "../../../lib/link.ts";
import { dialWebSocket } from "../../../lib/websocket-client.ts";
import { CALL, CALLERROR, CALLRESULT, type CallFrame, type Decoded, type ErrorFrame, encodeFrame, type Frame, ocppCodec, type ResultFrame } from "../codec.ts";

export type SimHandler = (action: string, payload: Record<string, unknown>) => Record<string, unknown> | undefined;

export interface SimLinkOptions {
  url: string;
  password?: string | undefined;
  identity: string;
  protocols?: string[];
  /** PEM of a CA to trust for wss:// (self-signed test certificates). */
  ca?: string | undefined;
  callTimeoutMs?: number;
}

/** A CALLERROR received in reply to one of our CALLs. */
export class SimCallError extends Error {
  override name = "SimCallError";
  constructor(readonly code: string, description: string) {
    super(`${code}: ${description}`);
  }
}

type Reply = ResultFrame | ErrorFrame;

/** HTTP Basic credentials (user = identity); the password may hold any UTF-8. */
export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return "Basic " + btoa(bin);
}

const utf8 = new TextEncoder();

export class SimLink {
  private link: MessageLink | undefined;
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private exchange: Exchange<CallFrame, Reply, string> | undefined;
  private seq = 0;
  private isOpen = false;
  /** Returning undefined leaves the CALL unanswered (tests of the bridge's timeout). */
  handler: SimHandler = () => ({});
  onClose: (code: number) => void = () => {};

  constructor(private opts: SimLinkOptions) {}

  async connect(): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.opts.password !== undefined) headers.Authorization = basicAuth(this.opts.identity, this.opts.password);
    const link = await dialWebSocket(this.opts.url, { protocols: this.opts.protocols ?? ["ocpp1.6"], headers, ca: this.opts.ca });
    const writer = link.writable.getWriter();
    writer.closed.catch(() => {});
    // A charge point keeps one CALL of its own outstanding at a time (OCPP-J §2.3).
    const exchange = new Exchange<CallFrame, Reply, string>({
      send: (f) => writer.write(utf8.encode(encodeFrame(f))),
      keyOf: (f) => f.id,
      maxInFlight: 1,
      maxQueued: 1000,
      timeoutMs: this.opts.callTimeoutMs ?? 30_000,
    });
    this.link = link;
    this.writer = writer;
    this.exchange = exchange;
    this.isOpen = true;
    void link.closed.then((info) => {
      this.isOpen = false;
      exchange.close(new Error("connection closed"));
      this.onClose(info.code ?? 1006);
    });
    void transformReadable(link.readable, ocppCodec(1 << 20).decoder())
      .pipeTo(new WritableStream<Decoded>({ write: (d) => this.onFrame(d, exchange) }))
      .catch(() => {});
  }

  get open(): boolean {
    return this.isOpen;
  }

  get protocol(): string {
    return this.link?.protocol ?? "";
  }

  async call(action: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const exchange = this.exchange;
    if (!exchange || !this.isOpen) throw new Error("not connected");
    const id = `${this.opts.identity.slice(0, 20)}-${++this.seq}`;
    const reply = await exchange.request({ type: CALL, id, action, payload }, { key: id, what: `reply to ${action}` });
    if (!reply) throw new Error(`no reply to ${action}`);
    if (reply.type === CALLERROR) throw new SimCallError(reply.code, reply.description);
    return reply.payload;
  }

  /** Raw text, for tests that send malformed frames. */
  sendRaw(text: string): void {
    this.writer?.write(utf8.encode(text)).catch(() => {});
  }

  close(): void {
    this.link?.close("simulator stopped", 1000);
  }

  private send(f: Frame): void {
    this.writer?.write(utf8.encode(encodeFrame(f))).catch(() => {});
  }

  private onFrame(d: Decoded, exchange: Exchange<CallFrame, Reply, string>): void {
    if (!d.ok) return;
    const f = d.frame;
    if (f.type !== CALL) {
      exchange.receive(f);
      return;
    }
    let reply: Record<string, unknown> | undefined;
    try {
      reply = this.handler(f.action, f.payload);
    } catch (err) {
      this.send({ type: CALLERROR, id: f.id, code: "InternalError", description: errorMessage(err), details: {} });
      return;
    }
    if (reply !== undefined) this.send({ type: CALLRESULT, id: f.id, payload: reply });
  }
}
