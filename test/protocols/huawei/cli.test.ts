// `evse2mqtt simulate huawei` as a user runs it: its --help, refused options, and a simulated PSU
// process that a bridge dials and gets READY from.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { resolve } from "node:path";
import { CliProcess, simulatorProcess } from "../../support/bridge-process.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { freePort } from "../../support/ports.ts";
import { until } from "../../support/until.ts";
import { rig, type Rig, unit } from "./rig.ts";

setDefaultTimeout(30_000);
const ROOT = resolve(import.meta.dir, "../../..");
const file = brokerForFile();
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

async function run(...args: string[]): Promise<{ code: number | null; out: string }> {
  const p = new CliProcess([resolve(ROOT, "node_modules/.bin/bun"), resolve(ROOT, "main.ts"), ...args]);
  const code = await p.exited;
  return { code, out: p.log };
}

test("simulate huawei --help names every option; bad values exit 2 before anything starts", async () => {
  const help = await run("simulate", "huawei", "--help");
  expect(help.code).toBe(0);
  for (const o of ["--listen HOST:PORT", "--tls DIR", "--cycle-s N", "--goose IFACE", "--log-level L"]) expect(help.out).toContain(o);
  const bad = await run("simulate", "huawei", "--cycle-s", "0");
  expect(bad.code).toBe(2);
  expect(bad.out).toContain('--cycle-s must be a number of seconds from 0.05 to 3600, got "0"');
  const noTls = await run("simulate", "huawei", "--tls", "/nonexistent/dir");
  expect(noTls.code).toBe(2);
  expect(noTls.out).toContain("--tls /nonexistent/dir: psu.crt.pem is missing");
});

test("a simulated PSU process: the bridge dials it, gets READY and the capabilities", async () => {
  const port = await freePort();
  const sim = simulatorProcess(["huawei", "--listen", `127.0.0.1:${port}`, "--cycle-s", "0.2"]);
  stops.push(() => sim.stop());
  await until(() => sim.log.includes("simulated Huawei PSU listening"), "the simulator listens", 10_000);
  const r: Rig = await rig(file.url, [unit("cli", { port })]);
  stops.push(() => r.close());
  await r.probe.wait(`${r.base}/cli_1/availability`, (m) => m.text === "online");
  await r.state("cli_1", (v) => JSON.stringify(v.raw).includes('"max_voltage_v":1000'));
  expect(sim.log).toContain("simulated PSU: dispenser connected");
  expect(await sim.stop()).toBe(0);
});
