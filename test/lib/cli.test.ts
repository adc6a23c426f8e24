// The command line as a user meets it: every subcommand answers --help and exits 0, bad values are
// refused with exit 2 before anything starts, and listen addresses are checked by check-config.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { VERSION } from "../../lib/version.ts";
import { CliProcess } from "../support/bridge-process.ts";
import { writeConfigFile } from "../support/config-file.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");

async function run(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = new CliProcess([BUN, resolve(ROOT, "main.ts"), ...args]);
  const code = await Promise.race([p.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 10_000))]);
  if (code === "hung") {
    await p.stop();
    throw new Error(`evse2mqtt ${args.join(" ")} did not exit within 10 s`);
  }
  return { code, out: p.output.join("") };
}

test("every subcommand answers --help with its own usage and exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [["--help"], /evse2mqtt simulate <protocol> --help/],
    [["run", "--help"], /Usage:/],
    [["check-config", "--help"], /Usage:/],
    [["simulate", "--help"], /protocols: dehne, ocpp, evsemaster/],
    [["simulate", "dehne", "--help"], /--firmware N/],
    [["simulate", "ocpp", "--help"], /--connect ws:\/\/HOST:PORT/],
    [["simulate", "evsemaster", "--help"], /evse2mqtt simulate evsemaster/],
    [["simulate", "evsemaster", "-h"], /--log-level L/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(...args)));
  results.forEach((r, i) => {
    const [args, pattern] = cases[i]!;
    expect({ args, code: r.code }).toEqual({ args, code: 0 });
    expect(r.out).toMatch(pattern);
  });
});

test("an unknown log level for a simulator is refused before anything starts", async () => {
  const r = await run("simulate", "dehne", "--log-level", "loud");
  expect(r.code).toBe(2);
  expect(r.out).toContain('--log-level expects one of debug, info, warn, error, silent, got "loud"');
});

test("listen addresses are checked by check-config and named in the error", async () => {
  const bad = writeConfigFile("cli-", `[ocpp]\nlisten = "nope"\n[dehne]\nlisten = "0.0.0.0"\n[evsemaster]\nbind = "not a host"\n`);
  const r = await run("check-config", "-c", bad);
  expect(r.code).toBe(1);
  expect(r.out).toContain("ocpp.listen: expected host:port");
  expect(r.out).toContain("dehne.listen: expected host:port");
  expect(r.out).toContain("evsemaster.bind: expected an IP address or a host name");
  const good = writeConfigFile("cli-", `[ocpp]\nlisten = "[::1]:9000"\n[dehne]\nlisten = "localhost:9091"\n`);
  expect((await run("check-config", "-c", good)).code).toBe(0);
});

test("the version in the program matches package.json", () => {
  expect(VERSION).toBe(JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")).version);
});

test("host fields: an IPv6 address needs two colons; a host with a port is not a host", async () => {
  const { isHost } = await import("../../lib/config-fields.ts");
  expect(isHost("::1")).toBe(true);
  expect(isHost("fe80::1")).toBe(true);
  expect(isHost("192.168.1.2")).toBe(true);
  expect(isHost("psu.local")).toBe(true);
  expect(isHost("1.2.3.4:502")).toBe(false);
  expect(isHost("not a host")).toBe(false);
});
