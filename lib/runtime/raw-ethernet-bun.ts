// The libc calls of raw-ethernet-linux.ts through bun:ffi. Loaded only under Bun.
import { dlopen, FFIType, read } from "bun:ffi";
import { errorMessage } from "../errors.ts";
import { type Libc, LIBC_NAMES } from "./raw-ethernet-linux.ts";

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

function open() {
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      return dlopen(name, SYMBOLS);
    } catch (err) {
      errors.push(`${name}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`cannot load libc through bun:ffi (${errors.join("; ")})`);
}

export function bunLibc(): Libc {
  const s = open().symbols;
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
