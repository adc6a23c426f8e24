import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on loopback (the OS picks; we release it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`mosquitto did not listen on ${port} within ${deadlineMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * A real Mosquitto on a free loopback port, with persistence so that QoS 1 messages for
 * persistent test sessions survive `restart()`.
 */
export class Mosquitto {
  private proc: ChildProcess | undefined;
  private dir: string;
  readonly url: string;

  private constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), "evse2mqtt-mosq-"));
    this.url = `mqtt://127.0.0.1:${port}`;
    writeFileSync(
      join(this.dir, "mosquitto.conf"),
      [
        `listener ${port} 127.0.0.1`,
        "allow_anonymous true",
        // Started as root, mosquitto would switch to its own user and could not write the
        // persistence file into our private temp dir (no effect when not root).
        "user root",
        "persistence true",
        `persistence_location ${this.dir}/`,
        "autosave_interval 0",
        "log_dest none",
        "max_queued_messages 100000",
        "",
      ].join("\n"),
    );
  }

  static async start(): Promise<Mosquitto> {
    const m = new Mosquitto(await freePort());
    await m.launch();
    return m;
  }

  private async launch(): Promise<void> {
    const bin = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find((p) => Bun.file(p).size > 0) ?? "mosquitto";
    this.proc = spawn(bin, ["-c", join(this.dir, "mosquitto.conf")], { stdio: "ignore" });
    await waitForPort(this.port, 5000);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (p.exitCode === null) p.kill("SIGKILL");
    this.proc = undefined;
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
