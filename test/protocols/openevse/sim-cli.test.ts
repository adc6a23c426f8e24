// `evse2mqtt simulate openevse` as a user runs it: over TCP, and on a pseudo-terminal made with
// socat (or python3 where socat is missing), answering RAPI byte for byte as §12.2 says.
import { hasSocat } from "../../support/pty-pair.ts";
import { afterAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../lib/log.ts";
import { dialTcp, listenTcp } from "../../../lib/tcp.ts";
import { formatFrame, latin1Bytes, latin1Text } from "../../../protocols/openevse/frame.ts";
import { SimHost } from "../../../protocols/openevse/sim/host.ts";
import { ptyRelay } from "../../../protocols/openevse/sim/pty.ts";
import { type CliProcess, simulatorProcess } from "../../support/bridge-process.ts";
import { freePort } from "../../support/mosquitto.ts";
import { until } from "../../support/until.ts";

const procs: CliProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), "oe-sim-cli-"));
afterAll(async () => {
  for (const p of procs) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});


/** One command line through the device at `path`, the way a serial terminal program would; the reply line. */
function overPty(path: string, line: string): Promise<string> {
  const py = "import os,sys,tty\nfd=os.open(sys.argv[1],os.O_RDWR|os.O_NOCTTY)\ntty.setraw(fd)\nos.write(fd,sys.argv[2].encode('latin1')+b'\\r')\nb=b''\nwhile not b.endswith(b'\\r'):\n  b+=os.read(fd,64)\nsys.stdout.write(b.decode('latin1'))\n";
  const child = hasSocat() ? spawn("socat", ["-t", "5", "STDIO", `FILE:${path},raw,echo=0`]) : spawn("python3", ["-c", py, path, line]);
  if (hasSocat()) child.stdin?.end(`${line}\r`);
  let out = "";
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString("latin1");
    if (out.includes("\r")) child.kill();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill();
      reject(new Error(`no reply on ${path} within 5 s (got "${out}")`));
    }, 5000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve(out.split("\r")[0] ?? "");
    });
  });
}

test("--listen: a controller on TCP that answers §12.2's $GV; SIGTERM ends it with 0", async () => {
  const port = await freePort();
  const sim = simulatorProcess(["openevse", "--listen", `127.0.0.1:${port}`, "--no-car", "--nk", "GP"]);
  procs.push(sim);
  await until(() => sim.log.includes(`port = "tcp://127.0.0.1:${port}"`), "the simulator's ready line", 15_000);
  const link = await dialTcp({ host: "127.0.0.1", port });
  const w = link.writable.getWriter();
  const reader = link.readable.getReader();
  let got = "";
  const read = async (until_: string) => {
    while (!got.includes(until_)) {
      const { value, done } = await reader.read();
      if (done || !value) break;
      got += latin1Text(value);
    }
  };
  await w.write(latin1Bytes("$GV^35\r"));
  await read("\r");
  expect(got).toBe("$OK 8.2.3 5.2.1^2F\r");
  got = "";
  // --nk GP: the injected refusal, with the sequence id echoed as the controller does.
  await w.write(latin1Bytes(`${formatFrame("GP", [], { seq: 5 })}\r`));
  await read("\r");
  expect(got).toMatch(/^\$NK :05\^[0-9A-F]{2}\r$/);
  link.close();
  expect(await sim.stop()).toBe(0);
}, 30_000);

test("--pty: prints the device path; RAPI over the pty; the relay comes back after the device was closed", async () => {
  if (!hasSocat()) console.log("socat not found: the simulator falls back to its python3 pty relay");
  const path = join(dir, "ttyOE");
  const sim = simulatorProcess(["openevse", "--pty", "--link", path, "--no-car"]);
  procs.push(sim);
  await until(() => sim.log.includes(`port = "${path}"`), "the simulator's ready line with the pty path", 15_000);
  expect(existsSync(path)).toBe(true);
  expect(await overPty(path, "$GV^35")).toBe("$OK 8.2.3 5.2.1^2F");
  // Closing the device may end the relay (socat does); it is started again, and the device answers again.
  await until(() => existsSync(path), "the pty back after the first user closed it", 5000);
  expect(await overPty(path, "$GS^30")).toBe("$OK 01 0 01 0200^12");
  expect(await sim.stop()).toBe(0);
  await until(() => !existsSync(path), "the pty gone with the simulator");
}, 30_000);

test("--help and bad options", async () => {
  const help = simulatorProcess(["openevse", "--help"]);
  expect(await help.exited).toBe(0);
  expect(help.log).toContain("--pty");
  const bad = simulatorProcess(["openevse", "--pty", "--listen", "127.0.0.1:1"]);
  expect(await bad.exited).toBe(2);
  expect(bad.log).toContain("exclude each other");
});

test("the python3 relay (used where socat is missing) carries the simulator the same way", async () => {
  const host = new SimHost({});
  const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (link) => void host.attach(link));
  const path = join(dir, "ttyPy");
  const relay = await ptyRelay(path, server.port, silentLogger, 100, ["python3"]);
  try {
    expect(relay.tool).toBe("python3");
    expect(await overPty(path, "$GV^35")).toBe("$OK 8.2.3 5.2.1^2F");
    // Unplugged: the device goes, and comes back.
    relay.unplug();
    await until(() => !existsSync(path), "the device gone");
    await until(() => existsSync(path), "the device back");
    expect(await overPty(path, "$GE^26")).toBe("$OK 32 0001^20");
  } finally {
    await relay.stop();
    host.stop();
    await server.close();
  }
}, 30_000);
