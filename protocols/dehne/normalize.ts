// Dehne data → the normalized view (spec §11), and the IEC 61851 amps ⇄ duty-cycle mapping (spec §4.4, G9).
import type { ChargerStatus, IecState, NormalizedState } from "../../lib/normalized.ts";
import type { Calibration } from "./config.ts";
import type { DataResponse, PilotVoltage } from "./wire.ts";

/** 100 % duty = "no charging allowed". */
export const PWM_OFF = 100;

/** Rounds up as SmartHomeServer does, so the car never gets more than asked: 6 A → 10 %, 16 A → 27 %, 32 A → 54 %. */
export function ampsToPwm(amps: number): number {
  return Math.ceil((amps * 10) / 6);
}

export function pwmToAmps(pwm: number): number {
  return pwm >= PWM_OFF ? 0 : Math.floor((pwm * 6) / 10);
}

const IEC: Record<PilotVoltage, IecState> = { volt_12: "A", volt_9: "B", volt_6: "C", volt_3: "D", fault: "E" };

export function carWantsCharge(p: PilotVoltage): boolean {
  return p === "volt_6" || p === "volt_3";
}

export function statusOf(d: DataResponse): ChargerStatus {
  const p = d.measurements.pilot_voltage;
  if (p === "fault") return "error";
  if (p === "volt_12") return "available";
  if (carWantsCharge(p)) return d.contactor_state ? "charging" : d.pwm_percent >= PWM_OFF ? "suspended" : "connected";
  return d.pwm_percent >= PWM_OFF ? "suspended" : "connected";
}

function calibrate(adc: number, c: Calibration | undefined): number | null {
  if (!c) return null;
  return Math.round(Math.max(((adc - c.offset) * c.slope) / c.divider, 0) * 100) / 100;
}

export function normalizeData(d: DataResponse, cal: { voltage?: Calibration | undefined; current?: Calibration | undefined } | undefined): Partial<NormalizedState> {
  const m = d.measurements;
  const vRaw = [m.phase1_millivolts, m.phase2_millivolts, m.phase3_millivolts];
  const iRaw = [m.phase1_milliamps, m.phase2_milliamps, m.phase3_milliamps];
  const voltage = vRaw.map((x) => calibrate(x, cal?.voltage));
  const current = iRaw.map((x) => calibrate(x, cal?.current));
  let power: number | null = null;
  if (cal?.voltage && cal.current) {
    power = Math.round(voltage.reduce<number>((sum, v, i) => sum + (v ?? 0) * (current[i] ?? 0), 0));
  }
  return {
    status: statusOf(d),
    iec_state: IEC[m.pilot_voltage],
    enabled: d.pwm_percent < PWM_OFF,
    current_limit_a: pwmToAmps(d.pwm_percent),
    power_w: power,
    voltage_v: voltage,
    current_a: current,
    errors: m.pilot_voltage === "fault" ? ["control pilot fault (shorted or out of range)"] : [],
    raw: {
      contactor_closed: d.contactor_state,
      pwm_percent: d.pwm_percent,
      pilot_voltage: m.pilot_voltage,
      proximity_pilot_amps: m.proximity_pilot_amps,
      phase_voltage_adc: vRaw,
      phase_current_adc: iRaw,
      wifi_rssi_dbm: m.wifi_rssi,
    },
  };
}
