// The libc calls of raw-ethernet-linux.ts through Deno.dlopen (needs --allow-ffi). Loaded only under Deno.
import { openLibc } from "./libc.ts";
import type { Libc } from "./raw-ethernet-linux.ts";

/** The little of Deno's FFI this file uses (the project type-checks against Bun's and Node's types). */
interface DenoFfi {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: Record<string, (...args: unknown[]) => unknown> };
  UnsafePointerView: new (p: object) => { getInt32(offset?: number): number };
}
declare const Deno: DenoFfi;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // ssize_t results are read as i32: frames are far below 2 GiB and -1 stays -1.
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  __errno_location: { parameters: [], result: "pointer" },
};

function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new Error(`unexpected FFI result ${String(v)}`);
}

export function denoLibc(): Libc {
  if (typeof Deno.dlopen !== "function") throw new Error("Deno.dlopen is missing (run with --allow-ffi)");
  const s = openLibc("Deno.dlopen", (name) => Deno.dlopen(name, SYMBOLS)).symbols;
  const call = (name: string, ...args: unknown[]): number => {
    const f = s[name];
    if (!f) throw new Error(`libc symbol ${name} missing`);
    return num(f(...args));
  };
  return {
    socket: (d, t, p) => call("socket", d, t, p),
    bind: (fd, addr, len) => call("bind", fd, addr, len),
    send: (fd, buf, len, flags) => call("send", fd, buf, len, flags),
    recv: (fd, buf, len, flags) => call("recv", fd, buf, len, flags),
    close: (fd) => call("close", fd),
    ifNameToIndex: (name) => call("if_nametoindex", name),
    errno: () => {
      const f = s.__errno_location;
      const p = f ? f() : null;
      return p !== null && typeof p === "object" ? new Deno.UnsafePointerView(p).getInt32() : 0;
    },
  };
}
