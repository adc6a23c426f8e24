/** MeterValues samples → compat keys (spec §7.4 + F3/F6) and normalized quantities (SI, per phase). */
import type { NormalizedState } from "../../lib/normalized.ts";
import type { MeterValue } from "./schemas-common.ts";

export interface Sample {
  measurand: string;
  value: string;
  num: number;
  unit: string | undefined;
  phase: string | undefined;
}

/**
 * 1.6 defaults: an absent measurand is the import energy register (F3, TV11). Blank values are
 * dropped: Number("") is 0, and a reading nobody took must not be published as one.
 */
export function samplesOf(entry: MeterValue): Sample[] {
  return entry.sampledValue.filter((s) => s.value.trim() !== "").map((s) => ({
    measurand: s.measurand ?? "Energy.Active.Import.Register",
    value: s.value,
    num: Number(s.value),
    unit: s.unit,
    phase: s.phase,
  }));
}

/** `Current.Import` → `current_import` (ocpp2mqtt and lbbrhzn/ocpp naming). */
export function compatKey(measurand: string): string {
  return measurand.replace(/\./g, "_").toLowerCase();
}

/** `L1-N` → `l1_n` (F6). */
export function phaseSuffix(phase: string): string {
  return phase.toLowerCase().replace(/-/g, "_");
}

const PHASE_INDEX: Record<string, number> = { L1: 0, L2: 1, L3: 2, "L1-N": 0, "L2-N": 1, "L3-N": 2, "L1-L2": 0, "L2-L3": 1, "L3-L1": 2 };
const LINE_TO_LINE = new Set(["L1-L2", "L2-L3", "L3-L1"]);
const SUMMED = /^(Power|Energy)\./;

/**
 * One value for a measurand reported only per phase (lbbrhzn/ocpp rules, F6): power and energy
 * summed; voltage (line-to-line divided by √3) and current averaged over non-zero phases.
 */
export function aggregate(measurand: string, phased: Sample[]): number | undefined {
  const vals = phased
    .filter((s) => s.phase !== undefined && s.phase in PHASE_INDEX && Number.isFinite(s.num))
    .map((s) => (measurand === "Voltage" && LINE_TO_LINE.has(s.phase!) ? s.num / Math.sqrt(3) : s.num));
  if (vals.length === 0) return undefined;
  if (SUMMED.test(measurand)) return round(vals.reduce((a, b) => a + b, 0));
  const nonZero = vals.filter((v) => v !== 0);
  if (nonZero.length === 0) return 0;
  return round(nonZero.reduce((a, b) => a + b, 0) / nonZero.length);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Compat `state/<key>` pairs for one meterValue entry, in publication order. */
export function compatPairs(samples: Sample[]): [string, string][] {
  const out: [string, string][] = [];
  const phaseless = new Set<string>();
  const phased = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = compatKey(s.measurand);
    if (s.phase === undefined) {
      phaseless.add(s.measurand);
      out.push([key, s.value]);
    } else {
      out.push([`${key}_${phaseSuffix(s.phase)}`, s.value]);
      phased.set(s.measurand, [...(phased.get(s.measurand) ?? []), s]);
    }
  }
  for (const [m, list] of phased) {
    if (phaseless.has(m)) continue;
    const agg = aggregate(m, list);
    if (agg !== undefined) out.push([compatKey(m), String(agg)]);
  }
  return out;
}

/** Units compared case-insensitively: chargers send "kwh", "KW" and the like. */
function scale(s: Sample): number {
  switch (s.unit?.toLowerCase()) {
    case "kwh":
    case "kw":
    case "kvarh":
    case "kvar":
    case "kva":
      return s.num * 1000;
    case "k":
      return s.num - 273.15;
    case "fahrenheit":
      return ((s.num - 32) * 5) / 9;
    default:
      return s.num;
  }
}

/** The quantity as one number: the phase-less sample if any, else the aggregate of the phases. */
function single(measurand: string, list: Sample[]): number | undefined {
  const plain = list.filter((s) => s.phase === undefined || s.phase === "N").at(-1);
  if (plain && plain.phase === undefined) return round(scale(plain));
  return aggregate(measurand, list.map((s) => ({ ...s, num: scale(s) })));
}

function perPhase(measurand: string, list: Sample[]): (number | null)[] | undefined {
  const out: (number | null)[] = [null, null, null];
  let any = false;
  for (const s of list) {
    if (s.phase === undefined) continue;
    const i = PHASE_INDEX[s.phase];
    if (i === undefined) continue;
    out[i] = round(measurand === "Voltage" && LINE_TO_LINE.has(s.phase) ? scale(s) / Math.sqrt(3) : scale(s));
    any = true;
  }
  if (any) return out;
  const v = single(measurand, list);
  return v === undefined ? undefined : [v, null, null];
}

/** Normalized fields present in one meterValue entry (Wh, W, V, A, °C). */
export function normalizedFrom(samples: Sample[]): Partial<NormalizedState> {
  const by = new Map<string, Sample[]>();
  for (const s of samples) if (Number.isFinite(s.num)) by.set(s.measurand, [...(by.get(s.measurand) ?? []), s]);
  const out: Partial<NormalizedState> = {};
  const energy = by.get("Energy.Active.Import.Register");
  if (energy) {
    const v = single("Energy.Active.Import.Register", energy);
    if (v !== undefined) out.energy_total_wh = v;
  }
  const power = by.get("Power.Active.Import");
  if (power) {
    const v = single("Power.Active.Import", power);
    if (v !== undefined) out.power_w = v;
  }
  const current = by.get("Current.Import");
  if (current) {
    const v = perPhase("Current.Import", current);
    if (v) out.current_a = v;
  }
  const voltage = by.get("Voltage");
  if (voltage) {
    const v = perPhase("Voltage", voltage);
    if (v) out.voltage_v = v;
  }
  const temp = by.get("Temperature");
  if (temp) {
    const v = single("Temperature", temp);
    if (v !== undefined) out.temperature_c = v;
  }
  return out;
}

/** At or below these a reading counts as "no energy flows" (meter noise, the car's standby draw). */
export const STOPPED_POWER_W = 100;
export const STOPPED_CURRENT_A = 0.5;

/** Whether one reading shows energy flowing; undefined when it has neither power nor current. */
export function flowOf(part: Partial<NormalizedState>): boolean | undefined {
  const power = part.power_w ?? undefined;
  const currents = (part.current_a ?? []).filter((c): c is number => typeof c === "number");
  if (power === undefined && currents.length === 0) return undefined;
  return (power ?? 0) > STOPPED_POWER_W || currents.some((c) => c > STOPPED_CURRENT_A);
}
