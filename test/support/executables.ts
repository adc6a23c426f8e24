import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** The first executable called `name` in PATH, then in `extraDirs`; undefined when there is none. */
export function findExecutable(name: string, extraDirs: string[] = [], path = process.env.PATH ?? ""): string | undefined {
  for (const dir of [...path.split(delimiter), ...extraDirs]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Identifies this test run: `bun test --parallel` workers share their parent, a plain run is one process. */
function runKey(): string {
  const pid = process.env.BUN_TEST_WORKER_ID ? process.ppid : process.pid;
  // The start time tells a reused pid from the same process (Linux; elsewhere the pid alone).
  let started = "";
  try {
    started = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[19] ?? "";
  } catch {
    // no /proc
  }
  return `${pid}-${started}`;
}

const said = new Set<string>();

/**
 * Writes `line` to stderr once per test run (not once per parallel worker): tests say which real
 * tool stands in for a missing one without repeating it in every file.
 */
export function noticeOnce(topic: string, line: string): void {
  if (said.has(topic)) return;
  said.add(topic);
  const dir = join(tmpdir(), "evse2mqtt-test-notices");
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, `${runKey()}-${topic}`), line, { flag: "wx" });
  } catch {
    return; // another worker of this run said it
  }
  process.stderr.write(`${line}\n`);
}
