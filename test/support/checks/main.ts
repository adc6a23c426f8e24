// Runs the transport checks and prints one line per check ("ok <name>" or "FAIL <name>: why"),
// then "done <adapter> <passed>/<total>". Used by test/lib/runtimes*.test.ts under Deno and Node;
// runnable by hand under any runtime:
//   main.ts [--native] [name prefix, e.g. "tcp" or "websocket: decisions"]…
// --native: the runtime's own files for every transport that has one, selected or not.
import { sockets } from "../../../lib/runtime/select.ts";
import { makeCerts } from "../certs.ts";
import { nativeSockets } from "../native-sockets.ts";
import { CHECKS } from "./index.ts";

const args = process.argv.slice(2);
const native = args.includes("--native");
const prefixes = args.filter((a) => !a.startsWith("--"));
const s = native ? await nativeSockets() : await sockets();
const certs = makeCerts();
let passed = 0;
const names = Object.keys(CHECKS).filter((n) => prefixes.length === 0 || prefixes.some((p) => n.startsWith(p)));
for (const name of names) {
  const run = CHECKS[name];
  if (!run) continue;
  try {
    await run(s, certs);
    passed++;
    console.log(`ok ${name}`);
  } catch (err) {
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
console.log(`done ${s.name} ${passed}/${names.length}`);
process.exit(passed === names.length ? 0 : 1);
