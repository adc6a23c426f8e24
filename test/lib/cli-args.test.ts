import { describe, expect, test } from "bun:test";
import { parseArgs } from "node:util";
import { type ArgOption, quickParse } from "../../lib/cli-args.ts";
import { prng } from "../support/prng.ts";

const OPTIONS = {
  config: { type: "string", short: "c" },
  "mqtt-url": { type: "string" },
  set: { type: "string", multiple: true },
  "log-json": { type: "boolean" },
  version: { type: "boolean", short: "v" },
} as const satisfies Record<string, ArgOption>;

/** node:util's reading of `args`, or "error". */
function reference(args: string[]): unknown {
  try {
    return { ...parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }).values };
  } catch {
    return "error";
  }
}

describe("quickParse", () => {
  test("reads the usual command lines itself, as parseArgs does", () => {
    const cases = [[], ["-c", "a.toml"], ["--config", "a.toml", "--set", "x.y=1", "--set=z.w=-2"], ["--config=", "--log-json", "-v"], ["--mqtt-url", "mqtt://h:1", "--mqtt-url=ws://h"], ["-c", "a", "-c", "b"]];
    for (const args of cases) {
      const quick = quickParse(args, OPTIONS);
      expect(quick).toBeDefined();
      expect(quick).toEqual(reference(args) as Record<string, string>);
    }
  });

  test("leaves the unusual to parseArgs", () => {
    for (const args of [["--"], ["-cv"], ["--log-json=true"], ["-c", "-v"], ["--config"], ["--nope"], ["file.toml"], ["--constructor", "x"], ["-x"]]) {
      expect(quickParse(args, OPTIONS)).toBeUndefined();
    }
  });

  test("never disagrees with parseArgs on random command lines", () => {
    const rand = prng(2026);
    const tokens = ["-c", "-v", "-x", "--config", "--config=f", "--config=", "--set", "--set=a=b", "--log-json", "--log-json=1", "--mqtt-url", "--version", "--", "-", "value", "-neg", "--nope", "a=b", "", "--__proto__"];
    let quick = 0;
    for (let i = 0; i < 5000; i++) {
      const args = Array.from({ length: Math.floor(rand() * 6) }, () => tokens[Math.floor(rand() * tokens.length)] ?? "");
      const got = quickParse(args, OPTIONS);
      if (got === undefined) continue;
      quick++;
      expect({ args, values: got }).toEqual({ args, values: reference(args) as Record<string, string> });
    }
    // The sample must include lines quickParse reads itself, or the loop above checked nothing.
    expect(quick).toBeGreaterThan(500);
  });
});
