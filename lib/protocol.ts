import type { z } from "zod";
import type { Hub } from "./hub.ts";
import type { Logger } from "./log.ts";
import type { MqttLink } from "./mqtt.ts";

/** What a running protocol gets from the bridge. */
export interface BridgeContext {
  log: Logger;
  mqtt: MqttLink;
  hub: Hub;
  /** The normalized layout's base topic (`[mqtt] base_topic`), for protocol detail topics. */
  baseTopic: string;
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
  /**
   * Environment names of the tool this protocol replaces, as config values by section. Applied
   * above the file and below EVSE2MQTT_* variables; a protocol section named here counts as
   * configured (so the protocol switches on). Unusable values go into `problems`.
   */
  envAliases?(env: Record<string, string | undefined>, problems: string[]): Record<string, Record<string, unknown>>;
  /** `--set` overrides that `--demo` applies so the simulated devices can talk to the bridge (e.g. a shared PIN). */
  readonly demoFlags?: string[];
  /** `--demo`: simulated devices aimed at this bridge, given the protocol's effective section. */
  demo(section: unknown, log: Logger): Promise<Running>;
}
