import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForPort } from "./ports.ts";

/** A real MQTT broker for tests, on a free loopback port, whose state survives `restart()`. */
export interface TestBroker {
  readonly kind: "mosquitto" | "aedes";
  /** Speaks MQTT 5 (Mosquitto); aedes speaks 3.1.1 only. */
  readonly mqtt5: boolean;
  readonly port: number;
  readonly url: string;
  /** Stops the broker as an administrator would (SIGTERM), keeping what it persisted. */
  stop(): Promise<void>;
  /** Starts it again on the same port from what it persisted. */
  restart(downMs?: number): Promise<void>;
  /** Stops it and removes its files. */
  dispose(): Promise<void>;
  /** A hung broker: it keeps every connection open and answers nothing (SIGSTOP) until `thaw()`. */
  freeze(): void;
  thaw(): void;
}

/** A broker in a child process with its own temporary directory for configuration and persistence. */
export abstract class BrokerProcess implements TestBroker {
  abstract readonly kind: "mosquitto" | "aedes";
  abstract readonly mqtt5: boolean;
  readonly url: string;
  protected readonly dir: string;
  private proc: ChildProcess | undefined;

  protected constructor(readonly port: number, dirPrefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), dirPrefix));
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  /** The command line that runs the broker. */
  protected abstract argv(): string[];

  protected async launch(): Promise<void> {
    const [cmd, ...args] = this.argv();
    if (cmd === undefined) throw new Error(`${this.kind}: empty command line`);
    const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.proc = proc;
    let stderr = "";
    proc.stderr?.on("data", (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-2000);
    });
    // A broker that dies at start-up (bad config, port taken) fails the test at once, with its words.
    const died = new Promise<never>((_, reject) =>
      proc.once("exit", (code, signal) => reject(new Error(`${this.kind} exited at start (${signal ?? `code ${code}`}): ${stderr.trim()}`))),
    );
    died.catch(() => {});
    await Promise.race([waitForPort(this.port, 10_000, this.kind), died]);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    this.signal(p, "SIGCONT"); // a frozen broker could not act on SIGTERM
    this.signal(p, "SIGTERM");
    const t = setTimeout(() => this.signal(p, "SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
  }

  freeze(): void {
    if (this.proc) this.signal(this.proc, "SIGSTOP");
  }

  thaw(): void {
    if (this.proc) this.signal(this.proc, "SIGCONT");
  }

  // process.kill, not ChildProcess.kill: under Deno the latter ignored every signal after the first.
  private signal(p: ChildProcess, sig: NodeJS.Signals): void {
    if (p.pid === undefined) return;
    try {
      process.kill(p.pid, sig);
    } catch {
      // already gone
    }
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
