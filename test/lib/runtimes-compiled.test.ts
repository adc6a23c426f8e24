// The transport checks (test/support/checks/) in a binary compiled by plain `bun build --compile`
// (as the bridge ships), through the adapter the binary selects.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL, BUN, MAIN, expectAllOk, run } from "./runtimes-run.ts";

setDefaultTimeout(120_000);
const tmp = mkdtempSync(join(tmpdir(), "evse2mqtt-runtimes-compiled-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("compiled with bun build --compile, through the adapter the binary selects", async () => {
  const binary = join(tmp, "checks");
  execFileSync(BUN, ["build", "--compile", MAIN, "--outfile", binary], { stdio: "ignore" });
  const r = await run([binary]);
  expectAllOk(r.out, "bun", ALL);
  expect(r.code).toBe(0);
});
