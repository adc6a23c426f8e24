import { WebSocket } from "ws";
import type { OcppListener } from "../../../protocols/ocpp/listener.ts";
import { ocppPlugin } from "../../../protocols/ocpp/index.ts";
import { type InProcessBridge, startInProcess } from "../../support/in-process-bridge.ts";

export interface OcppBridge extends InProcessBridge {
  port: number;
  central: OcppListener;
  url(path: string): string;
}

/** The OCPP plugin on a free loopback port against a real broker. */
export async function startOcpp(brokerUrl: string, section: Record<string, unknown> = {}, opts: { base?: string; logLines?: string[]; stateDir?: string } = {}): Promise<OcppBridge> {
  const b = await startInProcess(ocppPlugin, brokerUrl, { listen: "127.0.0.1:0", ...section }, opts);
  const central = b.running as OcppListener;
  const scheme = central.secure ? "wss" : "ws";
  return { ...b, central, port: central.port, url: (path) => `${scheme}://127.0.0.1:${central.port}${path}` };
}

/** A bare WebSocket charge point for sending exact frames and reading exact replies. */
export class RawCp {
  readonly received: unknown[][] = [];
  private waiters: { pred: (m: unknown[]) => boolean; resolve: (m: unknown[]) => void }[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => {
      let m: unknown;
      try {
        m = JSON.parse(String(d));
      } catch {
        return;
      }
      if (!Array.isArray(m)) return;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m as unknown[]) ? (w.resolve(m as unknown[]), false) : true));
    });
    ws.on("error", () => {});
    this.closed = new Promise((r) => ws.once("close", (code) => r(code)));
  }

  static connect(url: string, opts: { protocols?: string[]; headers?: Record<string, string>; ca?: string } = {}): Promise<RawCp> {
    const ws = new WebSocket(url, opts.protocols ?? ["ocpp1.6"], { headers: opts.headers ?? {}, ca: opts.ca });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new RawCp(ws)));
      ws.once("error", reject);
      ws.once("unexpected-response", (_q, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        ws.terminate();
      });
    });
  }

  send(frame: unknown[] | string): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Next frame whose unique id is `id` (already received or future). */
  waitFor(pred: (m: unknown[]) => boolean, timeoutMs = 5000): Promise<unknown[]> {
    const hit = this.received.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.received.slice(-3))}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  reply(id: string, timeoutMs = 5000): Promise<unknown[]> {
    return this.waitFor((m) => (m[0] === 3 || m[0] === 4) && m[1] === id, timeoutMs);
  }

  /** Sends a CALL and returns the CS's answer. */
  async call(id: string, action: string, payload: Record<string, unknown>): Promise<unknown[]> {
    this.send([2, id, action, payload]);
    return this.reply(id);
  }

  /** Next CALL from the CS with this action. */
  nextCall(action: string, timeoutMs = 5000): Promise<unknown[]> {
    return this.waitFor((m) => m[0] === 2 && m[2] === action && !this.answered.has(String(m[1])), timeoutMs);
  }

  readonly answered = new Set<string>();

  /** Answers a CS CALL. */
  answer(call: unknown[], payload: Record<string, unknown>): void {
    this.answered.add(String(call[1]));
    this.send([3, call[1], payload]);
  }

  close(): void {
    this.ws.close(1000);
  }
}

export { sleep } from "../../support/until.ts";
