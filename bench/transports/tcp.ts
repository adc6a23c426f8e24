// TCP: native vs node adapter on each runtime. Run: node_modules/.bin/bun bench/transports/tcp.ts
import { bench } from "./harness.ts";

await bench("tcp", { conns: 8, window: 64, nativeOn: ["bun", "deno"] });
