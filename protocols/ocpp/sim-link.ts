/** The charge-point end of OCPP-J for the simulator: a `ws` client, CALLs out, answers to CALLs in. */
import { WebSocket } from "ws";
import { CALL, CALLERROR, CALLRESULT, decodeFrame, encodeFrame } from "./codec.ts";

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

export class SimLink {
  private ws: WebSocket | undefined;
  private pending = new Map<string, { resolve(v: Record<string, unknown>): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  private seq = 0;
  /** Returning undefined leaves the CALL unanswered (tests of the bridge's timeout). */
  handler: SimHandler = () => ({});
  onClose: (code: number) => void = () => {};

  constructor(private opts: SimLinkOptions) {}

  connect(): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.opts.password !== undefined) {
      headers.Authorization = "Basic " + Buffer.from(`${this.opts.identity}:${this.opts.password}`).toString("base64");
    }
    const ws = new WebSocket(this.opts.url, this.opts.protocols ?? ["ocpp1.6"], { headers, ca: this.opts.ca });
    this.ws = ws;
    ws.on("message", (data) => this.onMessage(String(data)));
    ws.on("close", (code) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error("connection closed"));
      }
      this.pending.clear();
      this.onClose(code);
    });
    return new Promise((resolve, reject) => {
      ws.once("open", () => {
        ws.off("error", reject);
        ws.on("error", () => {});
        resolve();
      });
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        ws.terminate();
      });
    });
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  get protocol(): string {
    return this.ws?.protocol ?? "";
  }

  call(action: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("not connected"));
    const id = `${this.opts.identity.slice(0, 20)}-${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${action}`));
      }, this.opts.callTimeoutMs ?? 30_000);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(encodeFrame({ type: CALL, id, action, payload }));
    });
  }

  /** Raw text, for tests that send malformed frames. */
  sendRaw(text: string): void {
    this.ws?.send(text);
  }

  close(): void {
    this.ws?.close(1000);
  }

  private onMessage(text: string): void {
    const d = decodeFrame(text);
    if (!d.ok) return;
    const f = d.frame;
    if (f.type === CALL) {
      let reply: Record<string, unknown> | undefined;
      try {
        reply = this.handler(f.action, f.payload);
      } catch (err) {
        this.ws?.send(encodeFrame({ type: CALLERROR, id: f.id, code: "InternalError", description: String(err), details: {} }));
        return;
      }
      if (reply !== undefined) this.ws?.send(encodeFrame({ type: CALLRESULT, id: f.id, payload: reply }));
      return;
    }
    const p = this.pending.get(f.id);
    if (!p) return;
    this.pending.delete(f.id);
    clearTimeout(p.timer);
    if (f.type === CALLRESULT) p.resolve(f.payload);
    else p.reject(new SimCallError(f.code, f.description));
  }
}
