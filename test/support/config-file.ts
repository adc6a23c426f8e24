import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes `evse2mqtt.toml` into a fresh temporary directory (which then also holds state files) and returns its path. */
export function writeConfigFile(prefix: string, toml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), "evse2mqtt.toml");
  writeFileSync(path, toml);
  return path;
}
