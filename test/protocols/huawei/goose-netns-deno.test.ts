// GOOSE on real raw sockets (spec §6) under Deno: goose-netns.test.ts says how, for Bun.
import { gooseNetnsSuite } from "./goose-netns-run.ts";

gooseNetnsSuite("deno");
