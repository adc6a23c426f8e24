// The new stop_verify_s keys: defaults, and bounds checked at start-up with the key path.
import { expect, test } from "bun:test";
import { loadConfig } from "../../lib/config.ts";
import { ConfigError } from "../../lib/errors.ts";
import { PLUGINS } from "../../protocols/index.ts";
import { writeConfigFile } from "../support/config-file.ts";

const load = (toml: string) => loadConfig(PLUGINS, { file: writeConfigFile("cfg-stop-", toml), fileRequired: true, env: {}, flags: [] });

test("stop_verify_s: 15 s (OCPP) and 20 s (EVSEMaster) by default, refused outside 1–300 s", () => {
  const c = load(`[ocpp]\n[evsemaster]\n`);
  expect(c.protocols.ocpp?.stop_verify_s).toBe(15);
  expect(c.protocols.evsemaster?.stop_verify_s).toBe(20);
  for (const [ocpp, evsemaster] of [[0.5, 301], [0, 1000]]) {
    let issues: { path: string; expected: string }[] = [];
    try {
      load(`[ocpp]\nstop_verify_s = ${ocpp}\n[evsemaster]\nstop_verify_s = ${evsemaster}\n`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = err.issues;
    }
    expect(issues.map((i) => i.path).sort()).toEqual(["evsemaster.stop_verify_s", "ocpp.stop_verify_s"]);
    expect(issues.find((i) => i.path === "ocpp.stop_verify_s")?.expected).toContain("at least 1 s");
    expect(issues.find((i) => i.path === "evsemaster.stop_verify_s")?.expected).toContain("at most 300 s");
  }
});
