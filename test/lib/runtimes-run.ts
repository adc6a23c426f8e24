// Runs the transport checks (test/support/checks/) as a script in another runtime and reads its
// output, which names every check. Shared by the runtimes*.test.ts files (one file per runtime,
// so the parallel runner spreads them over its workers).
import { expect } from "bun:test";
import { spawn } from "node:child_process";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const MAIN = resolve(ROOT, "test/support/checks/main.ts");
export const DENO = resolve(ROOT, "node_modules/.bin/deno");
export const BUN = resolve(ROOT, "node_modules/.bin/bun");
/** How many checks a full run has. */
export const ALL = 12;

export function run(argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const [cmd, ...args] = argv;
    const p = spawn(cmd ?? "", args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (b: Buffer) => void (out += b.toString()));
    p.stderr.on("data", (b: Buffer) => void (out += b.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), 110_000);
    p.once("exit", (code) => {
      clearTimeout(t);
      done({ code, out });
    });
  });
}

/** Every check ran and passed: "ok" lines only, and the count line. */
export function expectAllOk(out: string, adapter: string, count: number): void {
  const failed = out.split("\n").filter((l) => l.startsWith("FAIL"));
  expect(failed).toEqual([]);
  expect(out.split("\n").filter((l) => l.startsWith("ok ")).length).toBe(count);
  expect(out).toContain(`done ${adapter} ${count}/${count}`);
}
