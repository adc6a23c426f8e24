#!/usr/bin/env -S bun
import { setJitPolicy, STARTUP_JIT_POLICY } from "./lib/runtime.ts";
import { VERSION } from "./lib/version.ts";

const argv = process.argv.slice(2);
// Answered before the CLI, the config schemas and every protocol's index are loaded: a service
// manager or a package check asking for the version should not pay for them.
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}
// Start-up code runs once: the JIT holds back until the CLI has started what it runs (lib/cli.ts).
setJitPolicy(STARTUP_JIT_POLICY);
const [{ main }, { PLUGINS }] = await Promise.all([import("./lib/cli.ts"), import("./protocols/index.ts")]);
const code = await main(argv, PLUGINS, process.env);
process.exit(code);
