// The release tarball as a user gets it: `make package-host` builds it (packing the binary `make
// build` left when that is up to date), the test unpacks it, runs its binary, and checks each
// service file against that binary (systemd-analyze where present).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { SHUTDOWN_BOUND_MS } from "../../lib/cli.ts";
import { CliProcess } from "../support/bridge-process.ts";
import { startBroker } from "../support/broker.ts";
import { findExecutable, noticeOnce } from "../support/executables.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";
import { freePort } from "../support/ports.ts";
import { runCommand } from "../support/run-command.ts";
import { until } from "../support/until.ts";
import { freshHostBinary } from "./host-binary.ts";
import { parseUnit, unitValues } from "./unit-file.ts";

setDefaultTimeout(30_000);
const ROOT = resolve(import.meta.dir, "../..");
const VERSION = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))).version;
const SHIPPED = [
  "evse2mqtt",
  "README.md",
  "LICENSE",
  "evse2mqtt.example.toml",
  "contrib/systemd/evse2mqtt.service",
  "contrib/openwrt/evse2mqtt.init",
  "contrib/docker/Dockerfile",
  "contrib/docker/compose.yaml",
  "contrib/docker/mosquitto.conf",
];

let out = "";
let top = "";
let pkg = "";
const shipped = (rel: string) => join(pkg, rel);
const text = (rel: string) => readFileSync(shipped(rel), "utf8");

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "evse2mqtt-release-"));
  // -o: the dependencies are there (the tests run on them); never reinstall them from a test.
  const fresh = freshHostBinary(ROOT);
  const made = await runCommand(["make", "-s", "-o", "node_modules/.installed", "package-host", `PKG_OUT=${out}`, "GZIP_LEVEL=1", ...(fresh ? [`HOST_BIN=${fresh}`] : [])], { cwd: ROOT, timeoutMs: 180_000 });
  if (made.code !== 0) throw new Error(`make package-host failed (${made.code}): ${made.stderr}${made.stdout}`);
  const tarballs = readdirSync(out).filter((f) => f.endsWith(".tar.gz"));
  if (tarballs.length !== 1 || !tarballs[0]) throw new Error(`expected one tarball in ${out}, found ${JSON.stringify(readdirSync(out))}`);
  top = tarballs[0].replace(/\.tar\.gz$/, "");
  const unpacked = await runCommand(["tar", "-xzf", join(out, tarballs[0]), "-C", out]);
  if (unpacked.code !== 0) throw new Error(`tar -xzf failed: ${unpacked.stderr}`);
  pkg = join(out, top);
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Asks the shipped binary what configuration it makes of `file` (and the environment). */
async function effectiveConfig(file: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const r = await runCommand([shipped("evse2mqtt"), "check-config", "-c", file], { cwd: pkg, env: { ...process.env, ...env } });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  return z.record(z.string(), z.unknown()).parse(JSON.parse(r.stdout.slice(r.stdout.indexOf("\n") + 1)));
}

describe("release tarball", () => {
  test("is named for the version and platform and holds one directory of that name", async () => {
    expect(top).toMatch(new RegExp(`^evse2mqtt-${VERSION.replaceAll(".", "\\.")}-(linux|darwin)-(x64|arm64)(-musl)?$`));
    const listed = await runCommand(["tar", "-tzf", join(out, `${top}.tar.gz`)]);
    const files = listed.stdout.split("\n").filter((l) => l && !l.endsWith("/"));
    expect(files.sort()).toEqual(SHIPPED.map((f) => `${top}/${f}`).sort());
  });

  test("the binary and the init script are executable; the license is MIT", () => {
    for (const f of ["evse2mqtt", "contrib/openwrt/evse2mqtt.init"]) expect([f, statSync(shipped(f)).mode & 0o111]).toEqual([f, 0o111]);
    expect(text("LICENSE")).toContain("MIT License");
    expect(text("LICENSE")).toContain("evse2mqtt contributors");
  });

  test("its binary tells its version and accepts the shipped example configuration", async () => {
    const v = await runCommand([shipped("evse2mqtt"), "--version"]);
    expect({ code: v.code, out: v.stdout.trim() }).toEqual({ code: 0, out: VERSION });
    const cfg = await effectiveConfig("evse2mqtt.example.toml");
    expect(cfg).toMatchObject({ mqtt: { url: "embedded" }, protocols: { dehne: { enabled: true } } });
  });

  test("its binary runs the example; SIGTERM announces offline and exits 0 well within the services' stop timeout", async () => {
    const [mqttPort, dehnePort] = [await freePort(), await freePort()];
    const bridge = new CliProcess([
      shipped("evse2mqtt"), "run", "-c", shipped("evse2mqtt.example.toml"),
      "--set", `mqtt.embedded_port=${mqttPort}`, "--set", "mqtt.embedded_bind=127.0.0.1", "--set", `dehne.listen=127.0.0.1:${dehnePort}`,
    ]);
    let probe: MqttProbe | undefined;
    try {
      await until(() => bridge.log.includes("evse2mqtt running"), `bridge running (log: ${bridge.log})`, 15_000);
      // Fully up, as a service manager would find it: online on its own (embedded) broker.
      probe = await MqttProbe.connect(`mqtt://127.0.0.1:${mqttPort}`, ["evse2mqtt/bridge/state"]);
      await probe.wait("evse2mqtt/bridge/state", (m) => m.text === "online");
      const since = probe.mark();
      const began = Date.now();
      const code = await bridge.stop(20_000);
      expect({ code, fast: Date.now() - began < 5000 }).toEqual({ code: 0, fast: true });
      await probe.wait("evse2mqtt/bridge/state", (m) => m.text === "offline", 1000, since);
    } finally {
      await probe?.close();
      await bridge.stop();
    }
  });

  test("with a broker that stopped answering, SIGTERM still ends it within its shutdown bound", async () => {
    const broker = await startBroker();
    const bridge = new CliProcess([
      shipped("evse2mqtt"), "run", "-c", shipped("evse2mqtt.example.toml"), "--mqtt-url", broker.url,
      "--set", `dehne.listen=127.0.0.1:${await freePort()}`,
    ]);
    let probe: MqttProbe | undefined;
    try {
      probe = await MqttProbe.connect(broker.url, ["evse2mqtt/bridge/state"]);
      await probe.wait("evse2mqtt/bridge/state", (m) => m.text === "online", 15_000);
      broker.freeze();
      const began = Date.now();
      const code = await bridge.stop(30_000);
      const took = Date.now() - began;
      expect({ code, inBound: took < SHUTDOWN_BOUND_MS + 2000 }).toEqual({ code: 0, inBound: true });
    } finally {
      broker.thaw();
      await probe?.close();
      await bridge.stop();
      await broker.dispose();
    }
  });
});

/** Seconds in a service manager's "20", "20s" or "1min" notation. */
function seconds(v: string | undefined): number {
  const m = /^(\d+)\s*(s|sec|min)?$/.exec((v ?? "").trim());
  return m ? Number(m[1]) * (m[2] === "min" ? 60 : 1) : Number.NaN;
}

describe("systemd unit", () => {
  const unitFile = "contrib/systemd/evse2mqtt.service";

  test("is hardened, restarts on failure, stops in bounded time and reaches serial devices", () => {
    const unit = parseUnit(text(unitFile));
    const one = (key: string) => unitValues(unit, "Service", key);
    expect(one("ExecStart")).toEqual(["/usr/local/bin/evse2mqtt run -c /etc/evse2mqtt/evse2mqtt.toml"]);
    expect(one("ConfigurationDirectory")).toEqual(["evse2mqtt"]);
    expect(one("StateDirectory")).toEqual(["evse2mqtt"]);
    expect(one("Environment")).toEqual(["EVSE2MQTT_BRIDGE_STATE_DIR=%S/evse2mqtt"]);
    const hardening: [string, string][] = [
      ["DynamicUser", "yes"],
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["Restart", "on-failure"],
      ["SupplementaryGroups", "dialout"],
      ["DevicePolicy", "closed"],
      ["CapabilityBoundingSet", ""],
    ];
    for (const [key, value] of hardening) expect([key, one(key)]).toEqual([key, [value]]);
    expect(one("DeviceAllow")).toContain("char-ttyUSB rw");
    expect(one("MemoryDenyWriteExecute")).toEqual([]); // the JIT needs it off
    expect(unitValues(unit, "Service", "PrivateDevices")).toEqual([]); // it would hide the serial devices
    // Above the bridge's own shutdown bound, so systemd never has to kill it.
    expect(seconds(one("TimeoutStopSec")[0]) * 1000).toBeGreaterThan(SHUTDOWN_BOUND_MS);
    expect(unitValues(unit, "Unit", "After")).toEqual(["network-online.target"]);
    expect(unitValues(unit, "Install", "WantedBy")).toEqual(["multi-user.target"]);
  });

  test("its state directory setting reaches the bridge", async () => {
    const cfg = await effectiveConfig("evse2mqtt.example.toml", { EVSE2MQTT_BRIDGE_STATE_DIR: "/var/lib/evse2mqtt" });
    expect(cfg).toMatchObject({ bridge: { state_dir: "/var/lib/evse2mqtt" } });
  });

  test("systemd-analyze verify finds nothing to say; the exposure score stays low", async () => {
    const analyze = findExecutable("systemd-analyze", ["/usr/bin", "/bin"]);
    if (!analyze) {
      noticeOnce("systemd-analyze", "no systemd-analyze: the systemd unit is checked by its structure only (apt-get install -y systemd)");
      return;
    }
    // The same unit, pointing at the unpacked binary so verify can check that it is executable.
    const dir = join(out, "unit");
    mkdirSync(dir, { recursive: true });
    const copy = join(dir, "evse2mqtt.service");
    writeFileSync(copy, text(unitFile).replace("ExecStart=/usr/local/bin/evse2mqtt", `ExecStart=${shipped("evse2mqtt")}`));
    const verify = await runCommand([analyze, "verify", copy]);
    // verify exits 0 on unknown keys and bad values, so anything it says counts.
    expect({ code: verify.code, said: (verify.stdout + verify.stderr).trim() }).toEqual({ code: 0, said: "" });
    const security = await runCommand([analyze, "security", "--offline=yes", "--threshold=40", copy]);
    if (/unrecognized option|unknown option/i.test(security.stderr)) {
      noticeOnce("systemd-analyze-security", "this systemd-analyze has no offline security check; unit verified only");
      return;
    }
    expect({ code: security.code, score: /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1] }).toMatchObject({ code: 0 });
  });
});

describe("OpenWrt init script", () => {
  // The script's start_service, run by sh with procd's functions recording what they were given.
  const harness = `
procd_open_instance() { echo "open"; }
procd_set_param() { echo "param $*"; }
procd_close_instance() { echo "close"; }
logger() { echo "logger $*"; }
. "$1"
PROG="$2"; CONF="$3"; STATE_DIR="$4"
start_service; echo "status $?"`;
  const startService = (conf: string, state: string) =>
    runCommand(["sh", "-c", harness, "sh", shipped("contrib/openwrt/evse2mqtt.init"), shipped("evse2mqtt"), conf, state]);

  test("is for procd with config under /etc/evse2mqtt", () => {
    const script = text("contrib/openwrt/evse2mqtt.init");
    expect(script.split("\n")[0]).toBe("#!/bin/sh /etc/rc.common");
    expect(script).toContain("USE_PROCD=1");
    expect(script).toContain("CONF=/etc/evse2mqtt/evse2mqtt.toml");
    expect(script).toMatch(/serial/i);
  });

  test("starts the binary with the config, its state directory, respawn and a stop timeout", async () => {
    const state = join(out, "openwrt-state");
    const r = await startService(shipped("evse2mqtt.example.toml"), state);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("open");
    expect(lines).toContain(`param command ${shipped("evse2mqtt")} run -c ${shipped("evse2mqtt.example.toml")}`);
    expect(lines).toContain(`param env EVSE2MQTT_BRIDGE_STATE_DIR=${state}`);
    expect(lines).toContain("param respawn 3600 5 5");
    const term = lines.find((l) => l.startsWith("param term_timeout "))?.split(" ")[2];
    expect(seconds(term) * 1000).toBeGreaterThan(SHUTDOWN_BOUND_MS);
    expect(lines.slice(-2)).toEqual(["close", "status 0"]);
    expect(statSync(state).isDirectory()).toBe(true);
  });

  test("a bad configuration is logged once and nothing is started", async () => {
    const bad = join(out, "bad.toml");
    writeFileSync(bad, "[mqtt]\nqueue_limit = \"lots\"\n");
    const r = await startService(bad, join(out, "unused-state"));
    const lines = r.stdout.trim().split("\n");
    expect(lines.some((l) => l.startsWith("logger -t evse2mqtt not started:") && l.includes("queue_limit"))).toBe(true);
    expect(lines).not.toContain("open");
    expect(lines.at(-1)).toBe("status 1");
  });
});

describe("Docker", () => {
  const dockerfile = () => text("contrib/docker/Dockerfile").split("\n");
  const instructions = (name: string) => dockerfile().filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  test("the image is the musl binary on a minimal base, as a non-root user in dialout", () => {
    expect(instructions("FROM")).toEqual([expect.stringMatching(/^alpine:\d+\.\d+$/)]);
    const user = instructions("USER")[0] ?? "";
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(text("contrib/docker/Dockerfile")).toContain("addgroup evse2mqtt dialout");
    expect(instructions("ENTRYPOINT")).toEqual(['["/usr/local/bin/evse2mqtt"]']);
    // The health check asks the status page the shipped config serves.
    const [health] = instructions("HEALTHCHECK");
    const port = /http:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(health ?? "")?.[1];
    expect(port).toBeDefined();
    expect(text("evse2mqtt.example.toml")).toMatch(new RegExp(`^listen = "127\\.0\\.0\\.1:${port}"`, "m"));
  });

  test("what it copies is in the unpacked tarball, and its state directory reaches the bridge", async () => {
    const binaryArg = instructions("ARG").find((a) => a.startsWith("BINARY="))?.slice("BINARY=".length);
    for (const copy of instructions("COPY")) {
      const [source] = copy.split(/\s+/).filter((w) => !w.startsWith("--"));
      const path = source === "${BINARY}" ? binaryArg : source;
      expect([copy, statSync(shipped(path ?? "")).isFile()]).toEqual([copy, true]);
    }
    const env = instructions("ENV").find((e) => e.startsWith("EVSE2MQTT_BRIDGE_STATE_DIR="))?.split("=")[1] ?? "";
    expect(instructions("VOLUME")).toEqual([env]);
    expect(await effectiveConfig("evse2mqtt.example.toml", { EVSE2MQTT_BRIDGE_STATE_DIR: env })).toMatchObject({ bridge: { state_dir: env } });
  });

  test("compose runs it next to Mosquitto, and its environment means what it says", async () => {
    const composeSchema = z.object({
      services: z.object({
        mosquitto: z.object({ image: z.string(), volumes: z.array(z.string()) }),
        evse2mqtt: z.object({ build: z.object({ context: z.string(), dockerfile: z.string() }), environment: z.record(z.string(), z.string()), stop_grace_period: z.string() }),
      }),
    });
    const compose = composeSchema.parse(Bun.YAML.parse(text("contrib/docker/compose.yaml")));
    expect(compose.services.mosquitto.image).toMatch(/^eclipse-mosquitto:2/);
    const confMount = compose.services.mosquitto.volumes.find((v) => v.includes("/mosquitto/config/mosquitto.conf"))?.split(":")[0] ?? "";
    expect(statSync(join(dirname(shipped("contrib/docker/compose.yaml")), confMount)).isFile()).toBe(true);
    const { build, environment, stop_grace_period } = compose.services.evse2mqtt;
    expect(seconds(stop_grace_period) * 1000).toBeGreaterThan(SHUTDOWN_BOUND_MS);
    const context = resolve(dirname(shipped("contrib/docker/compose.yaml")), build.context);
    expect(context).toBe(pkg);
    expect(statSync(join(context, build.dockerfile)).isFile()).toBe(true);
    const cfg = await effectiveConfig("evse2mqtt.example.toml", environment);
    expect(cfg).toMatchObject({ mqtt: { url: "mqtt://mosquitto:1883" }, protocols: { dehne: { listen: "0.0.0.0:9091" } } });
    expect(text("contrib/docker/compose.yaml")).toMatch(/devices:\n\s*#\s*- \/dev\/ttyUSB0:\/dev\/ttyUSB0/);
  });
});
