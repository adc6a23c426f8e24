// The network-namespace run of goose-netns*.test.ts (one file per runtime, so the parallel runner
// runs them side by side): the namespace, the child's run in it, and what its result must hold.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { errorMessage } from "../../../lib/errors.ts";
import { openRawEthernet } from "../../../lib/raw-ethernet.ts";

export const ROOT = resolve(import.meta.dir, "../../..");
const CHILD = resolve(import.meta.dir, "goose-netns-child.ts");
const isRoot = process.platform === "linux" && process.getuid?.() === 0;
const ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].find((p) => existsSync(p));
type Json = Record<string, unknown>;

function whyNot(): string | undefined {
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  if (!isRoot) return "not running as root (network namespaces and raw sockets need it)";
  if (!ip) return "iproute2 (ip) is not installed";
  try {
    execFileSync(ip, ["netns", "list"], { stdio: "pipe" });
  } catch (err) {
    return `ip netns does not work here: ${errorMessage(err)}`;
  }
  return undefined;
}

function runIn(ns: string, argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const p = spawn(ip ?? "ip", ["netns", "exec", ns, ...argv], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.stderr.on("data", (b: Buffer) => {
      if (process.env.TEST_LOG) process.stderr.write(b);
    });
    const t = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.once("exit", (code) => {
      clearTimeout(t);
      done({ code, out });
    });
  });
}

/** Namespace with lo up and a veth pair vd (dispenser) ⇄ vp (PSU); always deleted afterwards. */
async function inNamespace(fn: (ns: string) => Promise<void>): Promise<void> {
  const run = (...args: string[]) => execFileSync(ip ?? "ip", args, { stdio: "pipe" });
  const ns = `evse2mqtt-hw-${process.pid}-${Math.random().toString(16).slice(2, 6)}`;
  run("netns", "add", ns);
  try {
    run("-n", ns, "link", "set", "lo", "up");
    run("-n", ns, "link", "add", "vd", "type", "veth", "peer", "name", "vp");
    run("-n", ns, "link", "set", "vd", "up");
    run("-n", ns, "link", "set", "vp", "up");
    await fn(ns);
  } finally {
    run("netns", "del", ns);
  }
}

function check(r: Json): void {
  expect(r.error).toBeUndefined();
  expect(r.ready).toEqual({ goose: "active", errors: [] });
  // The start-up key fetch: placeholder request with the new key, then the stop when the fake car leaves.
  expect(r.keyFetchFrames).toEqual(["PowerRequest", "ShutdownRequest"]);
  expect(r.running).toEqual({ status: "connected", allocation_failed: false });
  expect(r.tooMuchCurrent).toMatchObject({ status: "error", error: "connector 3: current_a 90 A exceeds the maximum 80 A (PSU capability and max_export_current_a); nothing sent" });
  expect(r.tooMuchPower).toMatchObject({ status: "error", error: "connector 3: 400 V × 80 A = 32000 W exceeds the maximum 30000 W (PSU rating and max_export_power_w); nothing sent" });
  expect(r.maxSentCurrent).toBe(50);
  expect(r.maxSentPowerW).toBe(20000);
  expect(r.cableCheck).toMatchObject({ status: "ok", data: { connector_state: "Running", working_status: 8, phase: "CableCheck" } });
  expect(r.chargingState).toEqual({ enabled: true, current_limit_a: 50 });
  expect(r.stop).toMatchObject({ status: "ok", data: { connector_state: "Completed", working_status: 4 } });
  expect(r.unplug).toMatchObject({ status: "ok", data: { connector_state: "CarDisconnected" } });
  const S = { dataset: "ShutdownRequest", connector: 3, requirement: null, voltage: null, current: null };
  const P = (requirement: number, voltage: number, current: number) => ({ dataset: "PowerRequest", connector: 3, requirement, voltage, current });
  // §5.2 in order: stop while waiting for the key, placeholder, cable check, charging, stop.
  expect(r.transitions).toEqual([S, P(1, 0, 0), P(2, 500, 2), P(5, 400, 50), S]);
  expect(r.allVerified).toBe(true);
  // §6.2: repeats after 2, 2, 4, 8 ms then every second, sqNum + 1 each.
  expect(r.maxChargingSqNum).toBeGreaterThanOrEqual(5);
  const offsets = Array.isArray(r.repeatOffsets) ? r.repeatOffsets.map(Number) : [];
  expect(offsets.length).toBe(6);
  // The receiver polls every 5 ms: the first repeats arrive in a burst, the sixth a second later.
  expect(offsets[4] ?? Infinity).toBeLessThan(400);
  expect(offsets[5] ?? 0).toBeGreaterThan(800);
  expect(offsets[5] ?? Infinity).toBeLessThan(2000);
  const counters = r.bridgeCounters as Json;
  expect(counters.replies).toBeGreaterThanOrEqual(1);
  expect(counters.rejected).toBe(0);
  expect(r.dispenserMac).not.toEqual([0, 0, 0]);
}

/**
 * Registers the GOOSE describe block for `runtime` (setDefaultTimeout included): a whole charge in
 * a namespace, or where that cannot run, one test that says why and checks the refusal.
 * `more` adds tests to the same block when the run can happen.
 */
export function gooseNetnsSuite(runtime: "bun" | "deno", more: () => void = () => {}): void {
  setDefaultTimeout(90_000);
  describe("GOOSE over raw Ethernet (spec §6)", () => {
    const reason = whyNot();
    if (reason) {
      test(`not run here (${runtime}); the refusal is clear`, async () => {
        process.stderr.write(`goose-netns: raw-Ethernet run skipped: ${reason}; GOOSE frames are covered by the §12.3 vectors in goose.test.ts and goose-receive.test.ts\n`);
        // What a bridge without CAP_NET_RAW (or off Linux) reports instead of sending.
        const err = await openRawEthernet({ interface: "lo", ethertype: 0x88b8 }).then(() => undefined, (e: unknown) => errorMessage(e));
        expect(err).toMatch(/needs root or CAP_NET_RAW|needs Linux|unavailable/);
      });
      return;
    }

    test(`a whole charge in a network namespace (${runtime})`, async () => {
      const bin = resolve(ROOT, "node_modules/.bin", runtime);
      const argv = runtime === "bun" ? [bin, CHILD, "vd", "vp"] : [bin, "run", "-A", CHILD, "vd", "vp"];
      await inNamespace(async (ns) => {
        const { code, out } = await runIn(ns, argv);
        const line = out.split("\n").find((l) => l.startsWith("RESULT "));
        if (!line) throw new Error(`no result from the ${runtime} run (exit ${code}):\n${out.slice(-2000)}`);
        const r: Json = JSON.parse(line.slice(7));
        check(r);
        expect(code).toBe(0);
      });
    });
    more();
  });
}
