// The evcc snippet in the README, applied as evcc applies it, to a real bridge with a simulated
// OCPP charger: status by its first letter, JSON fields by jq, `true`/`false` for enabled, and
// /set driven with the payloads the snippet renders.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ocppPlugin } from "../../protocols/ocpp/index.ts";
import { CliProcess } from "../support/bridge-process.ts";
import { brokerForFile } from "../support/broker-for-file.ts";
import { startInProcess } from "../support/in-process-bridge.ts";
import { freePort } from "../support/ports.ts";

setDefaultTimeout(60_000);
const ROOT = resolve(import.meta.dir, "../..");
const shared = brokerForFile({ probe: ["#"] });

type Yaml = string | Yaml[] | { [k: string]: Yaml };

/** The YAML subset the snippet uses: nested maps and lists by indentation, plain or quoted scalars. */
function parseYaml(text: string): Yaml {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const scalar = (s: string): string => (/^'.*'$|^".*"$/.test(s) ? s.slice(1, -1) : s);
  const block = (indent: number): Yaml => {
    const first = lines[i];
    if (!first) return "";
    if (first.text.startsWith("- ")) {
      const list: Yaml[] = [];
      while (lines[i] && lines[i]!.indent === indent && lines[i]!.text.startsWith("- ")) {
        const line = lines[i]!;
        // "- key: value" opens a map whose keys sit two columns further in.
        line.text = line.text.slice(2);
        line.indent += 2;
        list.push(block(indent + 2));
      }
      return list;
    }
    const map: Record<string, Yaml> = {};
    while (lines[i] && lines[i]!.indent === indent && !lines[i]!.text.startsWith("- ")) {
      const m = /^([A-Za-z0-9_]+):\s*(.*)$/.exec(lines[i]!.text);
      if (!m) throw new Error(`unsupported YAML line: ${lines[i]!.text}`);
      i++;
      map[m[1]!] = m[2] !== "" ? scalar(m[2]!) : block(lines[i]?.indent ?? indent + 2);
    }
    return map;
  };
  return block(0);
}

/** jq as the snippet uses it: `.field`, `.field[n]`, and `// default`. */
function jq(expr: string, input: unknown): unknown {
  const [path = "", fallback] = expr.split("//").map((s) => s.trim());
  let v: unknown = input;
  for (const m of path.matchAll(/\.([A-Za-z0-9_]+)|\[(\d+)\]/g)) {
    if (m[1] !== undefined) v = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[m[1]] : null;
    else v = Array.isArray(v) ? v[Number(m[2])] : null;
  }
  if ((v === null || v === undefined || v === false) && fallback !== undefined) return JSON.parse(fallback);
  return v ?? null;
}

function snippet(): Record<string, Yaml> {
  const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
  const block = /```yaml\n(chargers:[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README has no evcc chargers: yaml block");
  const doc = parseYaml(block);
  const chargers = typeof doc === "object" && !Array.isArray(doc) ? doc.chargers : undefined;
  const first = Array.isArray(chargers) ? chargers[0] : undefined;
  if (!first || typeof first !== "object" || Array.isArray(first)) throw new Error("no charger in the evcc snippet");
  return first;
}

function field(c: Record<string, Yaml>, key: string): Record<string, string> {
  const v = c[key];
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`snippet has no ${key} block`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

test("the README's evcc snippet reads a real charger and drives it", async () => {
  const c = snippet();
  expect(c.type).toBe("custom");
  const port = await freePort();
  const bridge = await startInProcess(ocppPlugin, shared.url, { listen: `127.0.0.1:${port}`, charging_enabled_default: true, switch_min_interval_s: 0 }, { base: "evse2mqtt" });
  const sim = new CliProcess([resolve(ROOT, "node_modules/.bin/bun"), resolve(ROOT, "main.ts"), "simulate", "ocpp", "--connect", `ws://127.0.0.1:${port}`, "--prefix", "garage", "--count", "1", "--interval", "1", "--plug-after", "0.5", "--charge-for", "600"]);
  // The snippet names the charger `garage`; the simulator's first identity is `garage1`.
  const topicOf = (t: string) => t.replace("evse2mqtt/garage", "evse2mqtt/garage1");
  const probe = shared.probe;
  try {
    const stateTopic = topicOf(field(c, "status").topic ?? "");
    const charging = await probe.waitJson<Record<string, unknown>>(stateTopic, (s) => s.status === "charging" && typeof s.power_w === "number" && s.power_w > 0, 20_000);
    // status: evcc takes the first letter and wants one of A–F.
    const status = String(jq(field(c, "status").jq ?? "", charging));
    expect(status.charAt(0)).toBe("C");
    expect("ABCDEF").toContain(status.charAt(0));
    // enabled: a JSON boolean evcc parses as true/false.
    expect(jq(field(c, "enabled").jq ?? "", charging)).toBe(true);
    expect(Number(jq(field(c, "power").jq ?? "", charging))).toBeGreaterThan(0);
    const energy = field(c, "energy");
    const kwh = Number(jq(energy.jq ?? "", charging)) * Number(energy.scale);
    expect(kwh).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(kwh)).toBe(true);
    const currents = c.currents;
    expect(Array.isArray(currents) && currents.length).toBe(3);
    for (const cur of Array.isArray(currents) ? currents : []) {
      if (typeof cur !== "object" || Array.isArray(cur)) throw new Error("bad currents entry");
      expect(typeof jq(String(cur.jq), charging)).toBe("number");
    }
    // Commands: the payloads evcc renders, on the topics it uses.
    const render = (tpl: string, vars: Record<string, string>) => tpl.replace(/\$\{(\w+)\}/g, (_m, k: string) => vars[k] ?? "");
    const send = async (key: string, vars: Record<string, string>) => {
      const f = field(c, key);
      const since = probe.mark();
      await probe.publish(topicOf(f.topic ?? ""), render(f.payload ?? "", vars));
      return probe.waitJson<{ status: string; error?: string }>(`${topicOf(f.topic ?? "").replace(/\/set$/, "")}/response`, () => true, 30_000, since);
    };
    expect((await send("maxcurrent", { maxcurrent: "10" })).status).toBe("ok");
    await probe.waitJson<Record<string, unknown>>(stateTopic, (s) => s.current_limit_a === 10, 10_000);
    const off = await send("enable", { enable: "false" });
    expect(off.status).toBe("ok");
    const stopped = await probe.waitJson<Record<string, unknown>>(stateTopic, (s) => s.enabled === false, 20_000);
    expect(jq(field(c, "enabled").jq ?? "", stopped)).toBe(false);
    expect(String(jq(field(c, "status").jq ?? "", stopped)).charAt(0)).not.toBe("C");
  } finally {
    await sim.stop();
    await bridge.stop();
  }
});
