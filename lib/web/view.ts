// What the status page is sent: the bridge's summary and, per charger, the normalized state with the
// few facts about the charger the page needs (name, what can be switched) and its power history.
import type { Hub } from "../hub.ts";
import type { ChargerView } from "../hub-view.ts";
import type { MqttLink } from "../mqtt.ts";
import type { NormalizedState } from "../normalized.ts";
import type { PowerHistory, PowerSeries } from "./history.ts";

export interface BridgeFacts {
  version: string;
  runtime: string;
  protocols: string[];
  /** ms since the epoch. */
  startedAt: number;
  /** Whether the page offers controls. */
  control: boolean;
}

export interface BridgeSummary {
  version: string;
  runtime: string;
  protocols: string[];
  started_at: string;
  uptime_s: number;
  control: boolean;
  mqtt: { connected: boolean; queued: number; dropped: number; reconnects: number };
  chargers: number;
}

export function bridgeSummary(facts: BridgeFacts, hub: Hub, mqtt: MqttLink, now: number): BridgeSummary {
  return {
    version: facts.version,
    runtime: facts.runtime,
    protocols: facts.protocols,
    started_at: new Date(facts.startedAt).toISOString(),
    uptime_s: Math.max(0, Math.round((now - facts.startedAt) / 1000)),
    control: facts.control,
    mqtt: { connected: mqtt.connected, queued: mqtt.queuedCount, dropped: mqtt.droppedCount, reconnects: mqtt.reconnects },
    chargers: hub.ids().length,
  };
}

export interface PageCharger {
  id: string;
  name: string;
  protocol: string;
  model: string | null;
  online: boolean;
  can_enable: boolean;
  limit: { min: number; max: number; step: number; allow_zero: boolean } | null;
  /** The normalized state without `raw` (protocol readings the page does not show). */
  state: Omit<NormalizedState, "raw">;
  power: PowerSeries | null;
}

export function pageCharger(v: ChargerView, power: PowerSeries | undefined): PageCharger {
  const caps = v.meta.capabilities;
  const { raw: _raw, ...state } = v.state;
  const cl = caps?.currentLimit;
  const model = [v.meta.manufacturer, v.meta.model].filter((x) => x).join(" ");
  return {
    id: v.id,
    name: v.meta.name ?? v.id,
    protocol: v.meta.protocol,
    model: model === "" ? null : model,
    online: v.online,
    can_enable: caps?.enable === true,
    limit: cl ? { min: cl.min, max: cl.max, step: cl.step, allow_zero: cl.allowZero === true } : null,
    state,
    power: power ?? null,
  };
}

/** Every charger, sorted by id, as the page's first event carries them. */
export function allChargers(hub: Hub, history: PowerHistory): PageCharger[] {
  const out: PageCharger[] = [];
  for (const id of [...hub.ids()].sort()) {
    const v = hub.view(id);
    if (v) out.push(pageCharger(v, history.series(id)));
  }
  return out;
}
