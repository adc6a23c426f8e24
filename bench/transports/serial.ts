// Serial lines: native (Bun's poll-based file reader, Deno's polled node:fs) vs node:tty on each
// runtime, over a socat pty pair. Run: node_modules/.bin/bun bench/transports/serial.ts
import { bench } from "./harness.ts";

await bench("serial", { conns: 1, window: 16, nativeOn: ["bun", "deno"] });
