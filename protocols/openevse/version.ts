// What a controller can do, from the RAPI protocol version in its `$GV` reply (spec §8.6).

import type { FieldResult } from "./fields.ts";

export interface RapiVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export function parseRapiVersion(text: string): FieldResult<RapiVersion> {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return { ok: false, error: `RAPI version must look like 5.2.1, got "${text}"` };
  return { ok: true, value: { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text } };
}

function code(v: { major: number; minor: number; patch: number }): number {
  return v.major * 1_000_000 + v.minor * 1_000 + v.patch;
}

/** `v` ≥ `than` ("5.1.1"). */
export function atLeast(v: RapiVersion, than: string): boolean {
  const t = parseRapiVersion(than);
  if (!t.ok) throw new Error(`bad version literal ${than}`);
  return code(v) >= code(t.value);
}

export interface Features {
  version: RapiVersion;
  /** Replies and notifications carry `^XK` (≥ 2.0.0). */
  checksummedReplies: boolean;
  /** How state changes arrive: `$AT` (≥ 5.0.0), `$ST` (2.x–4.x) or not at all. */
  stateNotification: "AT" | "ST" | "none";
  sequenceIds: boolean;
  /** `$FF` switches (≥ 4.0.0) instead of the removed `$SD/$SE/$SF/$SG`. */
  featureSwitches: boolean;
  /** `$GS` has 4 fields with a hex state (≥ 5.0.0); before, 2 fields with a decimal state. */
  gsFourFields: boolean;
  /** `$GC` has `min hmax pilot cmax` (≥ 5.0.0); before, `min max`. */
  gcFourFields: boolean;
  heartbeat: boolean;
  bootNotification: boolean;
  /** `$SC … M` one-time hardware maximum (≥ 5.1.1). */
  hardwareMax: boolean;
  /** `$AN` button events and `$SV` millivolts (≥ 5.1.3); vflag 0x0010 means "time limit" from here on. */
  buttonEvents: boolean;
  setVoltage: boolean;
  vflagTimeLimit: boolean;
  mcuId: boolean;
  /** `$S5/$G5`; vflags 0x1000 delay timer and 0x8000 Mennekes manual (≥ 5.2.0). */
  mennekes: boolean;
  bootLock: boolean;
  /** The "linco-work" line (≥ 6.0.0): `$GZ $GR $SR $FC $FO`, `$FF P/Z`, states 15–17, redefined settings bits. */
  d9: boolean;
}

export function featuresOf(version: RapiVersion): Features {
  const ge = (t: string) => atLeast(version, t);
  const at = ge("5.0.0");
  return {
    version,
    checksummedReplies: ge("2.0.0"),
    stateNotification: at ? "AT" : ge("2.0.0") ? "ST" : "none",
    sequenceIds: ge("3.0.0"),
    featureSwitches: ge("4.0.0"),
    gsFourFields: at,
    gcFourFields: at,
    heartbeat: at,
    bootNotification: at,
    hardwareMax: ge("5.1.1"),
    buttonEvents: ge("5.1.3"),
    setVoltage: ge("5.1.3"),
    vflagTimeLimit: ge("5.1.3"),
    mcuId: ge("5.1.4"),
    mennekes: ge("5.2.0"),
    bootLock: ge("5.2.1"),
    d9: ge("6.0.0"),
  };
}
