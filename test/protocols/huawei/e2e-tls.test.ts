// The PSU link inside TLS with client certificates (spec §1.3), certificates made here by openssl
// the way the library's script makes them: v3 CAs, X.509 v1 leaves without any extension or SAN
// (the PSU's leaf says CN=localhost while the bridge dials 127.0.0.1: no name check may happen).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTlsFolder, type SimulatedPsu } from "../../../protocols/huawei/sim/psu.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { rig, type Rig, startSim, unit } from "./rig.ts";

setDefaultTimeout(60_000);
const file = brokerForFile();
let dir = "";
let sim: SimulatedPsu;
const rigs: Rig[] = [];

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA and a v1 leaf it signed, as `<name>_ca.crt.pem`, `<leaf>.crt.pem`, `<leaf>.key.pem`. */
function pki(ca: string, leaf: string, cn: string): void {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${ca}.key.pem`, "-out", `${ca}.crt.pem`, "-days", "2", "-subj", `/CN=${ca} Root CA`);
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${leaf}.key.pem`, "-out", `${leaf}.csr`, "-subj", `/CN=${cn}`);
  openssl("x509", "-req", "-in", `${leaf}.csr`, "-CA", `${ca}.crt.pem`, "-CAkey", `${ca}.key.pem`, "-CAcreateserial", "-out", `${leaf}.crt.pem`, "-days", "2");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "huawei-tls-"));
  pki("psu_ca", "psu", "localhost");
  pki("dispenser_ca", "client", "client");
  const v = execFileSync("openssl", ["x509", "-in", join(dir, "psu.crt.pem"), "-noout", "-text"], { encoding: "utf8" });
  expect(v).toContain("Version: 1 (0x0)");
  // The simulated PSU reads the mock's folder layout and, with the dispenser CA there, requires a client certificate.
  sim = await startSim({ tls: readTlsFolder(dir) });
});

afterAll(async () => {
  for (const r of rigs) await r.close();
  await sim?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function bridge(units: Record<string, unknown>[]): Promise<Rig> {
  const r = await rig(file.url, units);
  rigs.push(r);
  return r;
}

const files = (extra: Record<string, unknown> = {}) => ({ tls: true, ca: join(dir, "psu_ca.crt.pem"), cert: join(dir, "client.crt.pem"), key: join(dir, "client.key.pem"), ...extra });

describe("mTLS", () => {
  test("with the PSU's CA and a client certificate the link comes up: READY, key, capabilities", async () => {
    const r = await bridge([unit("tls1", sim, files())]);
    await r.probe.wait(`${r.base}/tls1_1/availability`, (m) => m.text === "online");
    await r.state("tls1_1", (v) => typeof v.raw === "object" && v.raw !== null && "capabilities" in v.raw && JSON.stringify(v.raw).includes('"max_voltage_v":1000'));
    await until(() => (sim.latest?.keysSent ?? 0) >= 1, "the key came over TLS");
    expect(r.logs.some((l) => l.includes("connected to the PSU") && l.includes("tls=true"))).toBe(true);
  });

  test("a PSU certificate from another CA is refused; nothing comes online", async () => {
    const accepted = sim.accepted;
    const r = await bridge([unit("tls2", sim, files({ ca: join(dir, "dispenser_ca.crt.pem") }))]);
    await until(() => (r.huawei.link("tls2")?.attempts ?? 0) >= 4, "several attempts");
    expect(sim.accepted).toBe(accepted);
    expect(r.logs.some((l) => l.includes("cannot connect") && /certificate/i.test(l))).toBe(true);
    expect(r.probe.messages.filter((m) => m.topic === `${r.base}/tls2_1/availability` && m.text === "online")).toEqual([]);
  });

  test("without a client certificate the PSU (mTLS enforced) refuses the dispenser", async () => {
    const accepted = sim.accepted;
    const r = await bridge([unit("tls3", sim, { tls: true, ca: join(dir, "psu_ca.crt.pem") })]);
    await until(() => (r.huawei.link("tls3")?.attempts ?? 0) >= 4, "several attempts");
    expect(sim.accepted).toBe(accepted);
    expect(r.probe.messages.filter((m) => m.topic === `${r.base}/tls3_1/availability` && m.text === "online")).toEqual([]);
  });
});
