// The C library as the FFI of either runtime finds it: the shared-object names to try, and the
// loop that tries them (glibc first, then musl on Alpine and OpenWrt).
import { errorMessage } from "../errors.ts";

/** Shared-object names to try, glibc first, then musl (Alpine, OpenWrt). */
export const LIBC_NAMES = ["libc.so.6", "libc.so", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`];

/**
 * `open(name)` for the first libc name it succeeds with; throws naming `through` and every
 * name's failure when none does (a missing symbol counts as a failure: musl has no malloc_trim).
 */
export function openLibc<T>(through: string, open: (name: string) => T): T {
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      return open(name);
    } catch (err) {
      errors.push(`${name}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`cannot load libc through ${through} (${errors.join("; ")})`);
}
