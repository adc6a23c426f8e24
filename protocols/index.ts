import type { ProtocolPlugin } from "../lib/protocol.ts";
import { dehnePlugin } from "./dehne/index.ts";

/** Every protocol the bridge speaks, in the order they start. */
export const PLUGINS: ProtocolPlugin[] = [dehnePlugin];
