// Every /request action of every protocol's action table is named in that protocol's README
// section: the table is the one source of truth, and the README must not fall behind it.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PLUGINS } from "../../protocols/index.ts";

const README = readFileSync(resolve(import.meta.dir, "../../README.md"), "utf8");
const HEADINGS: Record<string, RegExp> = { dehne: /Dehne/, ocpp: /OCPP/, evsemaster: /EVSEMaster/, huawei: /Huawei/, openevse: /OpenEVSE/ };

function section(name: string): string {
  const parts = README.split(/\n(?=## )/);
  const heading = HEADINGS[name] ?? new RegExp(name, "i");
  const found = parts.filter((p) => /^## /.test(p) && heading.test(p.split("\n")[0] ?? ""));
  return found.join("\n");
}

test("the README names every /request action of every protocol", async () => {
  const missing: string[] = [];
  let checked = 0;
  for (const p of PLUGINS) {
    if (!p.actionList) continue;
    const text = section(p.name);
    expect(text.length, `README section for ${p.name}`).toBeGreaterThan(0);
    for (const a of await p.actionList()) {
      checked++;
      // As code: `name` or `name {args}`.
      if (!new RegExp("`" + a.name + "[` {]").test(text)) missing.push(`${p.name}: ${a.name}`);
    }
  }
  expect(checked).toBeGreaterThan(20);
  expect(missing).toEqual([]);
});
