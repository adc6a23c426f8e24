// The contract between the bridge's core (hub, MQTT, config, CLI) and each protocol folder. Only
// types live here, so both sides import this file and never each other.
import type { z } from "zod";
import type { Logger } from "./log.ts";
import type { MqttLink } from "./mqtt.ts";
import type { NormalizedState, SetCommand } from "./normalized.ts";

/** What a protocol gives the hub so MQTT commands can reach one charger. Throw `CommandError` to refuse. */
export interface ChargerDriver {
  set(cmd: SetCommand): Promise<unknown>;
  /** `/request`: usually `dispatch(table, action, args, ctx)` over the protocol's action table. */
  request(action: string, args: Record<string, unknown>): Promise<unknown>;
}

/** What a charger can report and do; drives which Home Assistant entities it gets. */
export interface Capabilities {
  /** Power in W (and per-phase current/voltage where `phases` is set). */
  power?: boolean;
  /** Energy counters (session and/or total). */
  energy?: boolean;
  temperature?: boolean;
  /** Per-phase voltage and current values. */
  phases?: boolean;
  /** `enabled` can be switched through `/set`. */
  enable?: boolean;
  /** `current_limit_a` can be set through `/set`, within these bounds. */
  currentLimit?: { min: number; max: number; step: number; allowZero?: boolean };
  /** Whether a car is plugged in can be told. */
  plug?: boolean;
  /** `/request` actions that take no arguments (offered as buttons). */
  buttons?: string[];
}

export interface ChargerMeta {
  protocol: string;
  /**
   * Who this id belongs to, when two native names can map to one topic id (OCPP "CP" connector 2
   * and a charger called "CP_2"). Default: protocol + the raw id.
   */
  owner?: string | undefined;
  name?: string | undefined;
  manufacturer?: string | undefined;
  model?: string | undefined;
  sw_version?: string | undefined;
  capabilities?: Capabilities | undefined;
}

/**
 * A protocol's handle on one registered charger. Writes go through the hub's event sink to MQTT;
 * the promises resolve once MQTT has taken them (or queued them while the broker is away), so a
 * session that awaits them reads its socket no faster than MQTT can carry the result.
 */
export interface ChargerHandle {
  readonly id: string;
  /** Merge into the normalized state; publishes only when something besides timestamps changed. */
  update(partial: Partial<NormalizedState>): Promise<void>;
  /** Mark a frame as received (feeds `last_seen`). */
  seen(): void;
  /** A retained protocol detail document at `<base>/<id>/<sub>` (published when it changed). */
  detail(sub: string, payload: string): Promise<void>;
  /** The charger went away: availability offline, commands refused until it attaches again. */
  detach(): void;
}

/** The hub as protocols see it. */
export interface ChargerRegistry {
  attach(rawId: string, meta: ChargerMeta, driver: ChargerDriver): ChargerHandle;
  state(id: string): NormalizedState | undefined;
  /**
   * Forgets a charger for good: its retained state, availability, detail documents and Home
   * Assistant discovery are cleared from the broker. Resolves false when the id is unknown.
   */
  remove(rawId: string): Promise<boolean>;
}

/** What a running protocol gets from the bridge. */
export interface BridgeContext {
  log: Logger;
  mqtt: MqttLink;
  hub: ChargerRegistry;
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
  /**
   * For protocols configured as a list of tables (`[[openevse]]`, one per device): the key of the
   * section schema that receives the list.
   */
  readonly arraySection?: string;
  start(ctx: BridgeContext, section: unknown): Promise<Running>;
  /** `evse2mqtt simulate <name> [args]`: fake devices for tests and automations without hardware. */
  simulate(args: string[], log: Logger): Promise<Running>;
  /** Text for `evse2mqtt simulate <name> --help`. */
  readonly simulateHelp?: string;
  /** The `/request` actions of its action table (loaded on demand), for the README check and docs. */
  actionList?(): Promise<{ name: string; summary: string }[]>;
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
