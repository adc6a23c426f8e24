// The transport checks (test/support/checks/) under Node, through the node adapter.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL, BUN, MAIN, expectAllOk, run } from "./runtimes-run.ts";

setDefaultTimeout(120_000);
const tmp = mkdtempSync(join(tmpdir(), "evse2mqtt-runtimes-node-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("under Node, through the node adapter", async () => {
  // Node 20 runs no TypeScript: the checks run bundled by Bun.
  const bundle = join(tmp, "checks.mjs");
  execFileSync(BUN, ["build", MAIN, "--target=node", "--outfile", bundle], { stdio: "ignore" });
  const r = await run(["node", bundle]);
  expectAllOk(r.out, "node", ALL);
  expect(r.code).toBe(0);
});
