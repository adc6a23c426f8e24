// The binary `make build` left in dist/, when nothing it is built from changed since: packing it
// saves the release test a second compile of the same sources with the same flags (the slowest
// step of the suite, and CPU every other test file shares).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const SOURCES = ["main.ts", "package.json", "package-lock.json", "Makefile", "lib", "protocols"];

function newestMtimeMs(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** `root`/dist/evse2mqtt when it is newer than every source under `root`; undefined otherwise. */
export function freshHostBinary(root: string): string | undefined {
  const binary = join(root, "dist/evse2mqtt");
  let built: number;
  try {
    built = statSync(binary).mtimeMs;
  } catch {
    return undefined;
  }
  const newest = Math.max(...SOURCES.map((s) => newestMtimeMs(join(root, s))));
  return built > newest ? binary : undefined;
}
