// Deno's memory outside the JavaScript heap (socket reads, datagrams, Rust buffers) comes from
// glibc's malloc, mostly its main heap. A burst leaves that heap grown and full of freed holes
// that malloc keeps (make bench, EVSEMaster status burst under Deno: the heap went 6 → 57 MiB and
// stayed at 48 MiB after a full collection). malloc_trim(0) hands every whole free page back.
// Called only under Deno, after the idle collection; where libc or the FFI permission is missing
// (musl, --allow-ffi not given) there is simply no trim.
import { openLibc } from "./libc.ts";

/** The little of Deno's FFI this file uses (the project type-checks against Bun's and Node's types). */
interface DenoFfi {
  dlopen?(path: string, symbols: { malloc_trim: { parameters: ["usize"]; result: "i32" } }): { symbols: { malloc_trim(pad: number): number } };
  permissions?: { querySync?(d: { name: "ffi" }): { state: string } };
}
declare const Deno: DenoFfi;

/** A function that returns free malloc pages to the system, or undefined where that cannot be done. */
export function mallocTrimmer(): (() => void) | undefined {
  if (typeof Deno.dlopen !== "function") return undefined;
  // Asked first: without the permission Deno would prompt for it on a terminal.
  if (Deno.permissions?.querySync?.({ name: "ffi" }).state !== "granted") return undefined;
  const dlopen = Deno.dlopen.bind(Deno);
  try {
    const lib = openLibc("Deno.dlopen", (name) => dlopen(name, { malloc_trim: { parameters: ["usize"], result: "i32" } }));
    return () => void lib.symbols.malloc_trim(0);
  } catch {
    // not glibc (musl has no malloc_trim): no trim
    return undefined;
  }
}
