import { spawn } from "node:child_process";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`) and returns its exit code and output. */
export function runCommand(argv: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error("runCommand: empty command line"));
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    p.once("error", (err) => {
      clearTimeout(t);
      reject(err);
    });
    p.once("close", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
