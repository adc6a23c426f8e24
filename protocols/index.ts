import type { ProtocolPlugin } from "../lib/protocol.ts";
import { dehnePlugin } from "./dehne/index.ts";
import { evsemasterPlugin } from "./evsemaster/index.ts";
import { huaweiPlugin } from "./huawei/index.ts";
import { ocppPlugin } from "./ocpp/index.ts";
import { openevsePlugin } from "./openevse/index.ts";

/** Every protocol the bridge speaks, in the order they start. */
export const PLUGINS: ProtocolPlugin[] = [dehnePlugin, ocppPlugin, evsemasterPlugin, huaweiPlugin, openevsePlugin];
