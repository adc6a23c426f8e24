// Shared pieces of the hostile probes: the bridge as a process (as a user runs it), simulators as
// processes, and one summary line per probe with its figure.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BridgeProcess, CliProcess, LAUNCHERS } from "../test/support/bridge-process.ts";
import { writeConfigFile } from "../test/support/config-file.ts";

export const ROOT = resolve(import.meta.dir, "..");

/** One line per probe, printed as it ends: `HOSTILE <probe>: <figure>`. */
export function report(probe: string, figure: string): void {
  process.stdout.write(`HOSTILE ${probe}: ${figure}\n`);
}

export function bridge(toml: string): BridgeProcess {
  return new BridgeProcess(LAUNCHERS.bun, writeConfigFile("hostile-", toml));
}

export function cli(...args: string[]): CliProcess {
  return new CliProcess([resolve(ROOT, "node_modules/.bin/bun"), resolve(ROOT, "main.ts"), ...args]);
}

export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

export const base = (tag: string) => `h${tag}${Math.random().toString(16).slice(2, 6)}`;
