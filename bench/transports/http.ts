// HTTP: native vs node adapter on each runtime. Run: node_modules/.bin/bun bench/transports/http.ts
import { bench } from "./harness.ts";

await bench("http", { conns: 16, window: 1, nativeOn: ["bun", "deno"] });
