import type { z } from "zod";
import type { Hub } from "./hub.ts";
import type { Logger } from "./log.ts";
import type { MqttLink } from "./mqtt.ts";

/** What a running protocol gets from the bridge. */
export interface BridgeContext {
  log: Logger;
  mqtt: MqttLink;
  hub: Hub;
  /** Directory for small state files (e.g. OCPP transaction counter), next to the config file. */
  stateDir: string;
}

export interface Running {
  stop(): Promise<void>;
}

/**
 * One protocol as the bridge sees it. The section schema must be a zod object whose every key has
 * a default and which has an `enabled` boolean; `start` receives the validated section.
 */
export interface ProtocolPlugin {
  readonly name: string;
  readonly summary: string;
  readonly configSchema: z.ZodObject<z.ZodRawShape>;
  /** Whether the protocol runs when its section is absent from the config file. */
  readonly enabledByDefault: boolean;
  start(ctx: BridgeContext, section: unknown): Promise<Running>;
  /** `evse2mqtt simulate <name> [args]`: fake devices for tests and automations without hardware. */
  simulate(args: string[], log: Logger): Promise<Running>;
  /** `--demo`: simulated devices aimed at this bridge, given the protocol's effective section. */
  demo(section: unknown, log: Logger): Promise<Running>;
}
