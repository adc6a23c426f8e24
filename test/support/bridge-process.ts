import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

export interface Launcher {
  name: string;
  /** argv that runs the bridge with this config file. */
  argv(configPath: string): string[];
}

export const LAUNCHERS = {
  bun: { name: "bun", argv: (c: string) => [resolve(ROOT, "node_modules/.bin/bun"), resolve(ROOT, "main.ts"), "run", "-c", c] },
  deno: { name: "deno", argv: (c: string) => [resolve(ROOT, "node_modules/.bin/deno"), "run", "-A", resolve(ROOT, "main.ts"), "run", "-c", c] },
  binary: { name: "compiled binary", argv: (c: string) => [resolve(ROOT, "dist/evse2mqtt"), "-c", c] },
} satisfies Record<string, Launcher>;

/** A command of ours (the bridge, or `evse2mqtt simulate …`) as a separate process, as a user runs it. */
export class CliProcess {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  private proc: ChildProcess;

  constructor(argv: string[]) {
    const [cmd, ...args] = argv;
    this.proc = spawn(cmd!, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
    const keep = (b: Buffer) => {
      this.output.push(b.toString());
      if (this.output.length > 2000) this.output.splice(0, 1000);
      if (process.env.TEST_LOG) process.stderr.write(b);
    };
    this.proc.stdout!.on("data", keep);
    this.proc.stderr!.on("data", keep);
    this.exited = new Promise((r) => this.proc.once("exit", (code) => r(code)));
  }

  /** The child's process id (the runtime itself: the launchers exec no wrapper), for /proc readings. */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  get log(): string {
    return this.output.join("");
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  /** SIGTERM, then SIGKILL if it does not leave within `ms`. */
  async stop(ms = 8000): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), ms);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

export class BridgeProcess extends CliProcess {
  constructor(launcher: Launcher, configPath: string) {
    super(launcher.argv(configPath));
  }
}

/** `evse2mqtt simulate <args>` under Bun. */
export function simulatorProcess(args: string[]): CliProcess {
  return new CliProcess([resolve(ROOT, "node_modules/.bin/bun"), resolve(ROOT, "main.ts"), "simulate", ...args]);
}
