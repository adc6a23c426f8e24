// What a command needs of its charger, as a narrow object: the action table and the charge logic
// get this, never the device, so they import nothing that imports them.
import type { ChargeGuard } from "../../lib/guard.ts";
import type { ChargerConfig, EvsemasterConfig } from "./config.ts";
import type { ConfigFetch } from "./fetch-config.ts";
import type { EvseSession } from "./session.ts";
import type { ChargerView } from "./view.ts";

/** What commands use of the session: requests, the login, and what the newest status says. */
export type CommandSession = Pick<EvseSession, "request" | "requireSession" | "nextStatus" | "fetchConfig" | "logIn" | "statusCount" | "status">;

export interface ActionContext {
  readonly session: CommandSession;
  /** Every start, stop and current of this charger goes through it (lib/guard.ts). */
  readonly guard: ChargeGuard;
  readonly settings: EvsemasterConfig;
  /** The charger's own config entry, if it has one. */
  readonly charger: ChargerConfig | undefined;
  /** What the charger told about itself (device info, settings as last read). */
  readonly view: Readonly<ChargerView>;
  /** Files a config fetch's answers, publishes, and gives the detail document's `config` and `info`. */
  configFetched(f: ConfigFetch): Promise<{ config: unknown; info: unknown }>;
  now(): number;
}
