// A real pseudo-terminal pair standing in for a serial cable: bytes written to one end come out of
// the other. Killing the relay is what unplugging a USB adapter looks like to a reader (EOF/EIO).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "./until.ts";

export interface PtyPair {
  a: string;
  b: string;
  /** Ends the relay: both ends go away, as an unplugged device does. */
  unplug(): Promise<void>;
  dispose(): Promise<void>;
}

// The fallback relay when socat is missing: two pty pairs, masters copied into each other.
const PY_RELAY = `
import os, pty, select, sys
ends = []
for link in sys.argv[1:3]:
    m, s = pty.openpty()
    import tty; tty.setraw(s)
    os.symlink(os.ttyname(s), link)
    ends.append(m)
a, b = ends
while True:
    r, _, _ = select.select([a, b], [], [])
    for fd in r:
        data = os.read(fd, 4096)
        os.write(b if fd == a else a, data)
`;

/** socat is on the PATH (the tests then make pty pairs with it). */
export function hasSocat(): boolean {
  try {
    execFileSync("socat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), "evse2mqtt-pty-"));
  const a = join(dir, "a");
  const b = join(dir, "b");
  let proc: ChildProcess;
  if (hasSocat()) {
    proc = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
  } else {
    console.log("socat not found: using a python3 pty relay for the serial-line checks");
    proc = spawn("python3", ["-c", PY_RELAY, a, b], { stdio: "ignore" });
  }
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  await until(() => existsSync(a) && existsSync(b), "the pty pair's device links");
  const unplug = async () => {
    proc.kill("SIGKILL");
    await exited;
  };
  return {
    a,
    b,
    unplug,
    dispose: async () => {
      await unplug();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
