// What the bridge knows of one controller, merged from get replies (§8.3) and notifications (§6).
// Pure: each reader takes the view and the reply fields and returns what changed.

import type { Notification } from "./notifications.ts";
import * as R from "./replies.ts";
import { EVSE_STATE } from "./states.ts";
import type { Features } from "./version.ts";

export interface ControllerView {
  firmware: string | null;
  /** RAPI protocol version text, e.g. 5.2.1. */
  protocol: string | null;
  features: Features | null;
  mcuId: string | null;
  /** `$GE` settings flags (§7.2). */
  settings: number | null;
  state: number | null;
  /** Seconds of the current or last session at `elapsedAt` (ms clock). */
  elapsedS: number | null;
  elapsedAt: number;
  /** J1772 pilot reading 1–4 (§7.1). */
  pilotState: number | null;
  vflags: number | null;
  /** Pilot capacity in force, A. */
  pilotA: number | null;
  minA: number | null;
  hwMaxA: number | null;
  /** Configured (EEPROM) maximum from `$GC` field 4. */
  maxA: number | null;
  currentMa: number | null;
  voltageMv: number | null;
  temperatures: R.Temperatures;
  sessionWs: number | null;
  totalWh: number | null;
  heartbeat: R.Heartbeat | null;
  faults: R.FaultCounters | null;
  frequencyCentiHz: number | null;
}

export function emptyView(): ControllerView {
  return {
    firmware: null,
    protocol: null,
    features: null,
    mcuId: null,
    settings: null,
    state: null,
    elapsedS: null,
    elapsedAt: 0,
    pilotState: null,
    vflags: null,
    pilotA: null,
    minA: null,
    hwMaxA: null,
    maxA: null,
    currentMa: null,
    voltageMv: null,
    temperatures: { ds3231: null, mcp9808: null, tmp007: null },
    sessionWs: null,
    totalWh: null,
    heartbeat: null,
    faults: null,
    frequencyCentiHz: null,
  };
}

/** A copy the receiver may keep: later replies do not change it. */
export function snapshot(v: ControllerView): ControllerView {
  return { ...v, temperatures: { ...v.temperatures }, heartbeat: v.heartbeat && { ...v.heartbeat }, faults: v.faults && { ...v.faults } };
}

function put<K extends keyof ControllerView>(v: ControllerView, k: K, value: ControllerView[K]): boolean {
  if (v[k] === value) return false;
  v[k] = value;
  return true;
}

/** Merges a notification; true when something the layouts show changed. */
export function applyNotification(v: ControllerView, n: Notification, now: number): boolean {
  switch (n.type) {
    case "AT": {
      const entered = n.state !== v.state;
      let changed = put(v, "state", n.state);
      changed = put(v, "pilotState", n.pilot) || changed;
      changed = put(v, "pilotA", n.currentA) || changed;
      changed = put(v, "vflags", n.vflags) || changed;
      // A session that starts charging counts from here until the next `$GS` says otherwise.
      if (entered && n.state === EVSE_STATE.charging && v.elapsedS !== null) v.elapsedAt = now;
      return changed;
    }
    case "ST":
      return put(v, "state", n.state);
    default:
      return false;
  }
}

/**
 * Merges the `$OK` fields of a get command; throws RapiReplyError (field named) when they do not
 * parse. True when something changed.
 */
export function applyReply(v: ControllerView, code: string, fields: readonly string[], now: number): boolean {
  const f = v.features;
  switch (code) {
    case "GV": {
      const info = R.parseGV(fields);
      const changed = put(v, "firmware", info.firmware);
      return put(v, "protocol", info.protocol.text) || changed;
    }
    case "GE": {
      const s = R.parseGE(fields);
      return put(v, "settings", s.flags);
    }
    case "GC": {
      if (!f) return false;
      const c = R.parseGC(fields, f);
      let changed = put(v, "minA", c.minA);
      changed = put(v, "hwMaxA", c.hwMaxA) || changed;
      if (c.pilotA !== null) changed = put(v, "pilotA", c.pilotA) || changed;
      // Before RAPI 5 there is no configured maximum apart from the hardware one.
      return put(v, "maxA", c.maxA ?? c.hwMaxA) || changed;
    }
    case "GS": {
      if (!f) return false;
      const s = R.parseGS(fields, f);
      let changed = put(v, "state", s.state);
      changed = put(v, "elapsedS", s.elapsedS) || changed;
      v.elapsedAt = now;
      if (s.pilot !== null) changed = put(v, "pilotState", s.pilot) || changed;
      if (s.vflags !== null) changed = put(v, "vflags", s.vflags) || changed;
      return changed;
    }
    case "GG": {
      const m = R.parseGG(fields);
      const changed = put(v, "currentMa", m.currentMa);
      return put(v, "voltageMv", m.voltageMv) || changed;
    }
    case "GP": {
      const t = R.parseGP(fields);
      const old = v.temperatures;
      v.temperatures = t;
      return old.ds3231 !== t.ds3231 || old.mcp9808 !== t.mcp9808 || old.tmp007 !== t.tmp007;
    }
    case "GU": {
      const e = R.parseGU(fields);
      const changed = put(v, "sessionWs", e.sessionWs);
      return put(v, "totalWh", e.totalWh) || changed;
    }
    case "GF": {
      const c = R.parseGF(fields);
      const old = v.faults;
      v.faults = c;
      return !old || old.gfi !== c.gfi || old.noGround !== c.noGround || old.stuckRelay !== c.stuckRelay;
    }
    case "GI":
      return put(v, "mcuId", R.parseGI(fields));
    case "GY":
      v.heartbeat = R.parseHeartbeat(fields);
      return false;
    case "GZ":
      return put(v, "frequencyCentiHz", R.parseGZ(fields));
    default:
      return false;
  }
}

/** Session seconds now: the last `$GS` reading, running on while charging. */
export function elapsedNow(v: ControllerView, now: number): number {
  if (v.elapsedS === null) return 0;
  const running = v.state === EVSE_STATE.charging ? Math.max(0, Math.floor((now - v.elapsedAt) / 1000)) : 0;
  return v.elapsedS + running;
}
