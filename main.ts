#!/usr/bin/env -S bun
import { main } from "./lib/cli.ts";
import { PLUGINS } from "./protocols/index.ts";

const code = await main(process.argv.slice(2), PLUGINS, process.env);
process.exit(code);
