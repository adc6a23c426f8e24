// UDP: native vs node adapter on each runtime. Run: node_modules/.bin/bun bench/transports/udp.ts
import { bench } from "./harness.ts";

await bench("udp", { conns: 4, window: 32, nativeOn: ["bun"] });
