// Headless Chromium driven over the DevTools protocol with a small WebSocket client: enough to open
// a page, evaluate script in it, set headers and the viewport, and take screenshots.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));

type Json = Record<string, unknown>;

interface Pending {
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
}

export class Chromium {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners: ((method: string, params: Json, sessionId: string | undefined) => void)[] = [];

  private constructor(private proc: ChildProcess, private ws: WebSocket, private dir: string) {
    ws.addEventListener("message", (ev) => {
      const msg: Json = JSON.parse(String(ev.data));
      const id = typeof msg.id === "number" ? msg.id : undefined;
      const sessionId = typeof msg.sessionId === "string" ? msg.sessionId : undefined;
      if (id !== undefined) {
        const p = this.pending.get(id);
        this.pending.delete(id);
        const err = msg.error;
        if (err && typeof err === "object" && "message" in err) p?.reject(new Error(`CDP: ${String(err.message)}`));
        else p?.resolve(isJson(msg.result) ? msg.result : {});
      } else if (typeof msg.method === "string") {
        for (const l of this.listeners) l(msg.method, isJson(msg.params) ? msg.params : {}, sessionId);
      }
    });
  }

  /** Starts a fresh headless browser (own profile dir), or undefined when none is installed. */
  static async launch(): Promise<Chromium | undefined> {
    if (!CHROMIUM) return undefined;
    const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-chromium-"));
    const proc = spawn(CHROMIUM, [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", `--user-data-dir=${dir}`, "--remote-debugging-port=0", "about:blank",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = "";
      const t = setTimeout(() => reject(new Error(`chromium gave no DevTools endpoint within 20 s: ${err.slice(-500)}`)), 20_000);
      proc.stderr?.on("data", (b: Buffer) => {
        err += b.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m?.[1]) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      proc.once("exit", (code) => reject(new Error(`chromium exited (${code}): ${err.slice(-500)}`)));
    });
    const ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error("cannot connect to chromium's DevTools endpoint")));
    });
    return new Chromium(proc, ws, dir);
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP ${method}: no answer within 20 s`));
      }, 20_000);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
    });
  }

  on(fn: (method: string, params: Json, sessionId: string | undefined) => void): void {
    this.listeners.push(fn);
  }

  /** A new tab, attached; `headers` go with every request the page makes (e.g. Authorization). */
  async open(url: string, opts: { headers?: Record<string, string>; width?: number; height?: number; mobile?: boolean } = {}): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    if (typeof sessionId !== "string") throw new Error("CDP: no session id");
    const page = new Page(this, sessionId);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Network.enable");
    if (opts.headers) await page.send("Network.setExtraHTTPHeaders", { headers: opts.headers });
    await page.send("Emulation.setDeviceMetricsOverride", { width: opts.width ?? 1280, height: opts.height ?? 900, deviceScaleFactor: 1, mobile: opts.mobile ?? false });
    const loaded = new Promise<void>((resolve) => this.on((m, _p, s) => m === "Page.loadEventFired" && s === sessionId && resolve()));
    await page.send("Page.navigate", { url });
    await loaded;
    return page;
  }

  async close(): Promise<void> {
    try {
      await this.send("Browser.close");
    } catch {
      // gone already
    }
    this.ws.close();
    const exited = new Promise<void>((r) => (this.proc.exitCode !== null ? r() : this.proc.once("exit", () => r())));
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function isJson(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export class Page {
  constructor(private browser: Chromium, readonly sessionId: string) {}

  send(method: string, params: Json = {}): Promise<Json> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** The value of `expression` (awaited if a promise), as JSON. */
  async evaluate(expression: string): Promise<unknown> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`page script failed: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`);
    const result = r.result;
    return isJson(result) ? result.value : undefined;
  }

  /** Polls `expression` until it is truthy; returns the ms it took. */
  async waitFor(expression: string, what: string, timeoutMs = 5000): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      if (await this.evaluate(expression)) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms in the browser: ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: false });
    if (typeof data !== "string") throw new Error("CDP: no screenshot data");
    return Uint8Array.from(Buffer.from(data, "base64"));
  }
}
