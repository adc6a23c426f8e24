// `evse2mqtt --demo` serves the status page and says where in its log (ports moved off the
// defaults with --set so the test can run beside others; the Huawei demo PSU keeps its port 8502).
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PLUGINS } from "../../../protocols/index.ts";
import { CliProcess } from "../../support/bridge-process.ts";
import { freePort } from "../../support/mosquitto.ts";
import { until } from "../../support/until.ts";

setDefaultTimeout(60_000);
const ROOT = resolve(import.meta.dir, "../../..");

test("--demo: the log names the status page, which shows the simulated chargers of every protocol", async () => {
  const [mqtt, web, dehne, ocpp, evsemaster] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const set = [`mqtt.embedded_port=${mqtt}`, `web.listen=127.0.0.1:${web}`, `dehne.listen=127.0.0.1:${dehne}`, `ocpp.listen=127.0.0.1:${ocpp}`, `evsemaster.port=${evsemaster}`, "evsemaster.bind=127.0.0.1", `bridge.state_dir=${mkdtempSync(join(tmpdir(), "evse2mqtt-demo-"))}`];
  const demo = new CliProcess([resolve(ROOT, "node_modules/.bin/bun"), resolve(ROOT, "main.ts"), "--demo", ...set.flatMap((s) => ["--set", s])]);
  try {
    await until(() => demo.log.includes("demo: watch with"), "the demo's log line", 30_000);
    const line = demo.log.split("\n").find((l) => l.includes("demo: watch with")) ?? "";
    expect(line).toContain(`status page on http://127.0.0.1:${web}/`);
    const page = await fetch(`http://127.0.0.1:${web}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>evse2mqtt</title>");
    let protocols: string[] = [];
    // Polled (bounded, 30 s): simulators of each protocol come up at their own pace.
    const every = PLUGINS.map((p) => p.name).sort();
    for (let i = 0; i < 120 && new Set(protocols).size < every.length; i++) {
      const all: Record<string, { protocol: string; status: string }> = await (await fetch(`http://127.0.0.1:${web}/api/chargers`)).json();
      protocols = Object.values(all).filter((s) => s.status !== "unknown").map((s) => s.protocol);
      if (new Set(protocols).size < every.length) await new Promise((r) => setTimeout(r, 250));
    }
    expect([...new Set(protocols)].sort()).toEqual(every);
  } finally {
    expect(await demo.stop()).toBe(0);
  }
});
