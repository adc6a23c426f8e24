import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./log.ts";

/**
 * A small JSON document that must survive restarts (transaction counters, passwords learnt at run
 * time). Written to a temporary file and renamed, so a crash mid-write never leaves half a file.
 */
export class StateFile<T> {
  readonly path: string;

  constructor(dir: string, name: string, private log: Logger, private opts: { mode?: number } = {}) {
    this.path = join(dir, name);
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // reported on the first save
    }
  }

  /** `parse` turns whatever is on disk into a valid T (it may drop bad entries); a missing or unreadable file gives `empty()`. */
  load(parse: (raw: unknown) => T, empty: () => T): T {
    try {
      return parse(JSON.parse(readFileSync(this.path, "utf8")));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn("state file unreadable, starting fresh", { file: this.path, error: String(err) });
      return empty();
    }
  }

  save(value: T): void {
    const tmp = `${this.path}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(value), this.opts.mode !== undefined ? { mode: this.opts.mode } : {});
      // writeFileSync's mode only applies to new files; a leftover tmp keeps its old one.
      if (this.opts.mode !== undefined) chmodSync(tmp, this.opts.mode);
      renameSync(tmp, this.path);
    } catch (err) {
      this.log.error("cannot save state file", { file: this.path, error: String(err) });
    }
  }
}
