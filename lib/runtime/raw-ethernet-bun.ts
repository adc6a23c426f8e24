// The libc calls of raw-ethernet-linux.ts through bun:ffi. Loaded only under Bun.
import { dlopen, FFIType, read } from "bun:ffi";
import { openLibc } from "./libc.ts";
import type { Libc } from "./raw-ethernet-linux.ts";

const SYMBOLS = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  // ssize_t results are read as i32: frames are far below 2 GiB and -1 stays -1.
  send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  if_nametoindex: { args: [FFIType.ptr], returns: FFIType.u32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

export function bunLibc(): Libc {
  const s = openLibc("bun:ffi", (name) => dlopen(name, SYMBOLS)).symbols;
  return {
    socket: (d, t, p) => s.socket(d, t, p),
    bind: (fd, addr, len) => s.bind(fd, addr, len),
    send: (fd, buf, len, flags) => s.send(fd, buf, len, flags),
    recv: (fd, buf, len, flags) => s.recv(fd, buf, len, flags),
    close: (fd) => s.close(fd),
    ifNameToIndex: (name) => s.if_nametoindex(name),
    errno: () => {
      const p = s.__errno_location();
      return p === null ? 0 : read.i32(p, 0);
    },
  };
}
