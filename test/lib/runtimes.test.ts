// The transport checks (test/support/checks/) under Deno through the adapter it selects, plus
// Deno's native files that lose to the node layer (kept for the next measurement in
// bench/transports/). Node and the compiled binary: runtimes-node.test.ts, runtimes-compiled.test.ts.
import { expect, setDefaultTimeout, test } from "bun:test";
import { ALL, DENO, MAIN, expectAllOk, run } from "./runtimes-run.ts";

setDefaultTimeout(120_000);

test("under Deno, through the adapter Deno selects", async () => {
  const r = await run([DENO, "run", "-A", MAIN]);
  expectAllOk(r.out, "deno", ALL);
  expect(r.code).toBe(0);
});

test("under Deno, its native TCP, HTTP and WebSocket files (not selected)", async () => {
  // Not TLS (Deno cannot skip verification nor ask for client certificates, and says so) nor the
  // WebSocket limits (no payload limit before a message is in memory; the 1008 close code is lost
  // under a flood): part of why the node layer serves these on Deno.
  const r = await run([DENO, "run", "-A", MAIN, "--native", "tcp", "http", "websocket: decisions", "websocket: unanswered"]);
  expectAllOk(r.out, "native", 5);
  expect(r.code).toBe(0);
});
