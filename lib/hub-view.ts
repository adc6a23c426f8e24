// What the hub tells those who watch it (the status page, /metrics) besides MQTT. Types only.
import type { NormalizedState } from "./normalized.ts";
import type { ChargerMeta } from "./protocol.ts";

/** One charger as the status page and /metrics see it. */
export interface ChargerView {
  id: string;
  meta: ChargerMeta;
  /** A driver is attached (availability `online`). */
  online: boolean;
  state: NormalizedState;
}

/** Told after each state or availability publish (`undefined`: the charger was removed). */
export type HubObserver = (id: string, view: ChargerView | undefined) => void;

/** Where a command came from, for `evse2mqtt_commands_total`. */
export type CommandSource = "mqtt" | "web";
