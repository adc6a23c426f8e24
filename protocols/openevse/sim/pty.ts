// A pseudo-terminal that carries the simulated controller, for a bridge that opens it as a serial
// device: socat joins a new pty (its slave linked at `path`) to the simulator's TCP port; without
// socat, a few lines of python3 do the same. A relay that ends (the bridge closed the device, or
// socat was killed) is started again, so the device comes back as a replugged adapter does.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import type { Logger } from "../../../lib/log.ts";

// The fallback: one pty, its master copied to and from a TCP connection; the slave stays open here
// so a bridge closing its end does not end the relay.
const PY_RELAY = `
import os, pty, select, socket, sys, tty
link, port = sys.argv[1], int(sys.argv[2])
m, s = pty.openpty()
tty.setraw(s)
try: os.unlink(link)
except OSError: pass
os.symlink(os.ttyname(s), link)
c = socket.create_connection(("127.0.0.1", port))
try:
    while True:
        r, _, _ = select.select([m, c], [], [])
        if m in r:
            d = os.read(m, 4096)
            if not d: break
            c.sendall(d)
        if c in r:
            d = c.recv(4096)
            if not d: break
            os.write(m, d)
finally:
    try: os.unlink(link)
    except OSError: pass
`;

function has(cmd: string, arg: string): boolean {
  try {
    execFileSync(cmd, [arg], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface PtyRelay {
  /** "socat" or "python3". */
  readonly tool: string;
  readonly path: string;
  /** Kills the relay now (the device vanishes); it comes back after `restartMs` unless stopped. */
  unplug(): void;
  stop(): Promise<void>;
}

/** Starts the relay; rejects with a clear sentence when neither socat nor python3 is there. */
export async function ptyRelay(path: string, tcpPort: number, log: Logger, restartMs = 300, tools: readonly ("socat" | "python3")[] = ["socat", "python3"]): Promise<PtyRelay> {
  const tool = tools.find((t) => has(t, t === "socat" ? "-V" : "--version"));
  if (!tool) throw new Error("--pty needs socat (apt-get install socat) or python3; use --listen HOST:PORT and a tcp:// port instead");
  let proc: ChildProcess | undefined;
  let stopped = false;
  let restart: ReturnType<typeof setTimeout> | undefined;
  const launch = () => {
    const args = tool === "socat" ? [`PTY,link=${path},raw,echo=0`, `TCP:127.0.0.1:${tcpPort}`] : ["-c", PY_RELAY, path, String(tcpPort)];
    const p = spawn(tool, args, { stdio: "ignore" });
    proc = p;
    p.once("exit", (code) => {
      if (proc === p) proc = undefined;
      // A relay killed outright leaves its link behind, pointing at a pty number the next program
      // to open a pty may get: whoever opened the path then would talk to that program.
      rmSync(path, { force: true });
      if (stopped) return;
      log.debug("pty relay ended; starting it again", { tool, code });
      restart = setTimeout(launch, restartMs);
    });
  };
  launch();
  const deadline = Date.now() + 5000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${tool} did not create ${path} within 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    tool,
    path,
    unplug: () => proc?.kill("SIGKILL"),
    stop: async () => {
      stopped = true;
      if (restart) clearTimeout(restart);
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise<void>((r) => p.once("exit", () => r()));
      p.kill("SIGTERM");
      await exited;
    },
  };
}
