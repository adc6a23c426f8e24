// WS: native vs node adapter on each runtime. Run: node_modules/.bin/bun bench/transports/ws.ts
import { bench } from "./harness.ts";

await bench("ws", { conns: 8, window: 64, nativeOn: ["bun", "deno"] });
