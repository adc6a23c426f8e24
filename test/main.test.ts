// main.ts answers a lone --version / -v itself, before the CLI and the protocols are loaded; any
// other command line (even one holding --version) still goes through the CLI's checks.
import { expect, test } from "bun:test";
import { CliProcess } from "./support/bridge-process.ts";
import { VERSION } from "../lib/version.ts";
import { resolve } from "node:path";
import { until } from "./support/until.ts";

const BUN = resolve(import.meta.dir, "../node_modules/.bin/bun");
const MAIN = resolve(import.meta.dir, "../main.ts");

async function run(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = new CliProcess([BUN, MAIN, ...args]);
  const code = await p.exited;
  // 'exit' may come before the last of the output: wait for its final line break.
  await until(() => p.log.endsWith("\n"), "the command's output");
  return { code, out: p.log };
}

test("a lone --version or -v prints the version and exits 0", async () => {
  for (const flag of ["--version", "-v"]) {
    const r = await run(flag);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${VERSION}\n`);
  }
});

test("--version beside an unknown option is still the CLI's usage error", async () => {
  const r = await run("--version", "--no-such-option");
  expect(r.code).toBe(2);
  expect(r.out).toContain("Usage:");
});
