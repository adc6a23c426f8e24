// The OpenEVSE WiFi gateway's MQTT payloads (spec §10.2, §10.3, §10.5), as pure functions from
// state: plain values with the gateway's units under `<base>/<name>`, and the retained JSON topics.
// The parsers of the command topics live in gateway-commands.ts and are re-exported here.

import type { Claim, ClaimProps } from "./claims.ts";
import type { SessionLimit } from "./gateway-commands.ts";
import { lcdColour, VFLAG } from "./states.ts";

export interface Temperatures {
  /** Tenths of °C, null when the sensor is absent. */
  ds3231: number | null;
  mcp9808: number | null;
  tmp007: number | null;
}

/** What the compatible layout shows; the session fills it from `$GS`, `$GC`, `$GG`, `$GP`, `$AT` and its own meter. */
export interface GatewayStatus {
  state: number | null;
  vflags: number | null;
  pilotA: number | null;
  /** Configured maximum (`$GC` field 4), not the claim-limited value (§14 item 15). */
  maxCurrentA: number | null;
  /** From `$GG`; only shown while charging. */
  currentMa: number | null;
  /** Effective voltage (§9.4), V. */
  voltageV: number;
  threePhase: boolean;
  temperatures: Temperatures;
  /** Highest temperature since the vehicle was connected, tenths of °C. */
  tempMax: number | null;
  /** The target state from the claims; `none` when nothing sets one (§14 item 7). */
  status: "active" | "disabled" | "none";
  divertMode: 1 | 2;
  manualOverride: boolean;
  /** The RAPI link works. */
  evseConnected: boolean;
  sessionElapsedS: number;
  sessionEnergyWh: number;
  totalEnergyWh: number;
  /** kWh per calendar period, null when not tracked. */
  totals: { day: number | null; week: number | null; month: number | null; year: number | null };
  totalSwitches: number;
  /** Hundredths of Hz; D9 controllers only. */
  frequencyCentiHz: number | null;
  limitSet: boolean;
}

export type Value = number | boolean | string | null;

/** Payload text as the gateway writes it: integers plain, decimals trimmed, `false` for "not available". */
export function formatValue(v: Value): string {
  if (v === null) return "false";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return "false";
  return String(Math.round(v * 1000) / 1000);
}

const CHARGING = 3;

/** Charge current, A: from `$GG` while charging, 0 otherwise (§9.4). */
export function chargeAmps(s: GatewayStatus): number {
  return s.state === CHARGING && s.currentMa !== null ? s.currentMa / 1000 : 0;
}

/**
 * Every status value of the full dump (§10.2) as `[subtopic, payload]`, in a fixed order. With
 * `legacy`, the ESP8266-era `wh` (lifetime Wh, §13 item 6) is added.
 */
export function statusTopics(s: GatewayStatus, opts: { legacy?: boolean } = {}): [string, string][] {
  const amps = chargeAmps(s);
  const { ds3231, mcp9808, tmp007 } = s.temperatures;
  const temp = ds3231 ?? mcp9808 ?? tmp007;
  const vehicle = s.vflags !== null && (s.vflags & VFLAG.evConnected) !== 0;
  const values: [string, Value][] = [
    ["amp", amps * 1000],
    ["voltage", s.voltageV],
    ["power", amps * s.voltageV * (s.threePhase ? 3 : 1)],
    ["pilot", s.pilotA],
    ["max_current", s.maxCurrentA],
  ];
  // Only D9 controllers measure the line frequency; the gateway omits the topic otherwise.
  if (s.frequencyCentiHz !== null) values.push(["frequency", s.frequencyCentiHz]);
  values.push(
    ["temp", temp],
    ["temp_max", s.tempMax],
    ["temp1", ds3231],
    ["temp2", mcp9808],
    ["temp3", tmp007],
    ["state", s.state],
    ["status", s.status],
    ["flags", s.vflags],
    ["vehicle", vehicle ? 1 : 0],
    ["colour", s.state === null ? null : lcdColour(s.state, vehicle)],
    ["manual_override", s.manualOverride ? 1 : 0],
    ["elapsed", s.sessionElapsedS],
    ["session_elapsed", s.sessionElapsedS],
    ["evse_connected", s.evseConnected ? 1 : 0],
    ["divertmode", s.divertMode],
    ["session_energy", s.sessionEnergyWh],
    ["total_energy", s.totalEnergyWh / 1000],
    ["total_day", s.totals.day],
    ["total_week", s.totals.week],
    ["total_month", s.totals.month],
    ["total_year", s.totals.year],
    ["total_switches", s.totalSwitches],
    ["wattsec", s.sessionEnergyWh * 3600],
    ["watthour", s.totalEnergyWh],
    ["limit", s.limitSet],
  );
  if (opts.legacy) values.push(["wh", s.totalEnergyWh]);
  return values.map(([k, v]) => [k, formatValue(v)]);
}

/** Topics whose payload differs from what was last published (event-driven publishing). */
export function changedTopics(previous: ReadonlyMap<string, string>, next: readonly [string, string][]): [string, string][] {
  return next.filter(([k, v]) => previous.get(k) !== v);
}

/** Values a divert or shaper step publishes (§10.7), formatted. */
export function publishedTopics(values: Readonly<Record<string, number | boolean>>): [string, string][] {
  return Object.entries(values).map(([k, v]) => [k, formatValue(v)]);
}

function propsObject(p: ClaimProps): Record<string, Value> {
  const o: Record<string, Value> = {};
  if (p.state !== undefined) o.state = p.state;
  if (p.charge_current !== undefined) o.charge_current = p.charge_current;
  if (p.max_current !== undefined) o.max_current = p.max_current;
  o.auto_release = p.auto_release ?? false;
  return o;
}

const NO_CLAIM = JSON.stringify({ state: "null" });

/** Retained `<b>/override`: the manual override's properties, or `{"state":"null"}`. */
export function overridePayload(props: ClaimProps | null): string {
  return props ? JSON.stringify(propsObject(props)) : NO_CLAIM;
}

/** Retained `<b>/claim`: the MQTT client's own claim with its priority, or `{"state":"null"}`. */
export function claimPayload(claim: Claim | null): string {
  return claim ? JSON.stringify({ priority: claim.priority, ...propsObject(claim.props) }) : NO_CLAIM;
}

/** Retained `<b>/limit`. */
export function limitPayload(limit: SessionLimit | null): string {
  const l = limit ?? { type: "none", value: 0, auto_release: false };
  return JSON.stringify({ type: l.type, value: l.value, auto_release: l.auto_release });
}

/** The raw controller reply goes to one shared `<b>/rapi/out` topic, not `rapi/out/<cmd>` (§13 item 13). */
export function rapiOut(replyText: string): [string, string] {
  return ["rapi/out", replyText];
}

export * from "./gateway-commands.ts";
