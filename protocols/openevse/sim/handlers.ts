// What the simulated controller does for each RAPI command (spec §8), in RAPI 5.x reply formats.
// The build modelled is a mainline PlatformIO one: commands whose compile option it lacks answer `$NK`.

import { fmtHex } from "../fields.ts";
import { EVSE_STATE, SETTING, VFLAG } from "../states.ts";
import { BUILD_MAX_A, type SimModel } from "./model.ts";
import { quirkDec } from "./rx.ts";

export type Outcome =
  | { reply: "ok" | "nk"; fields?: string[]; stateMessageFirst?: boolean }
  /** `$FR`: nothing comes back; the controller resets. */
  | { reply: "none"; reboot: true };

type Handler = (m: SimModel, p: string[]) => Outcome;

const OK = (...fields: (string | number)[]): Outcome => ({ reply: "ok", fields: fields.map(String) });
const NK = (...fields: (string | number)[]): Outcome => ({ reply: "nk", fields: fields.map(String) });

/** Handler that insists on an exact parameter count (the firmware's own check), else `$NK`. */
function exactly(n: number, h: Handler): Handler {
  return (m, p) => (p.length === n ? h(m, p) : NK());
}

const heartbeatFields = (m: SimModel): string[] => [String(m.heartbeatIntervalS), String(m.heartbeatCurrentA), String(m.heartbeatTrigger)];

/** `$FF` letters this build has, with the settings bit each one clears when enabled. */
const FEATURE_BITS: Record<string, number> = {
  B: SETTING.buttonDisabled,
  D: SETTING.diodeCheckDisabled,
  F: SETTING.gfiSelfTestDisabled,
  G: SETTING.groundCheckDisabled,
  R: SETTING.stuckRelayCheckDisabled,
  T: SETTING.temperatureCheckDisabled,
  V: SETTING.ventCheckDisabled,
};

/** Front button short press: sleep while active, wake while asleep or disabled. */
export function buttonPress(m: SimModel): void {
  if (m.mode === "active" && m.fault === null) m.mode = "sleep";
  else if (m.mode !== "active") m.mode = "active";
  m.evaluate();
}

function setCurrent(m: SimModel, p: string[]): Outcome {
  if (p.length < 1 || p.length > 2) return NK();
  const asked = quirkDec(p[0] ?? "");
  if (p[1] === "M") {
    // Write-once hardware maximum (RAPI ≥ 5.1.1).
    if (m.hwMaxWritten) return NK();
    m.hwMaxWritten = true;
    m.advance();
    m.hwMaxA = Math.min(Math.max(asked, m.minA), BUILD_MAX_A);
    m.maxA = Math.min(m.maxA, m.hwMaxA);
    m.pilotA = Math.min(m.pilotA, m.levelMaxA);
    return OK(m.hwMaxA);
  }
  const amps = Math.min(Math.max(asked, m.minA), m.levelMaxA);
  const clamped = amps !== asked;
  // Raising during an over-temperature event is refused.
  if (m.state === EVSE_STATE.overTemperature && amps > m.pilotA) return NK(m.pilotA);
  m.advance();
  m.pilotA = amps;
  // No second parameter: saved to EEPROM. Any second parameter other than M is volatile.
  if (p.length === 1) m.maxA = amps;
  return clamped ? NK(amps) : OK(amps);
}

function heartbeat(m: SimModel, p: string[]): Outcome {
  if (p.length === 0) {
    m.lastPulseAt = m.clock();
    return m.heartbeatTrigger === 2 ? NK(...heartbeatFields(m)) : OK(...heartbeatFields(m));
  }
  if (p.length === 1) {
    if (quirkDec(p[0] ?? "") !== 165) return NK();
    if (m.heartbeatTrigger === 2) m.restoreAfterHeartbeat();
    m.lastPulseAt = m.clock();
    return OK(...heartbeatFields(m));
  }
  if (p.length !== 2) return NK();
  m.heartbeatIntervalS = quirkDec(p[0] ?? "");
  m.heartbeatCurrentA = quirkDec(p[1] ?? "");
  m.lastPulseAt = m.clock();
  if (m.heartbeatIntervalS === 0 && m.heartbeatTrigger === 2) m.restoreAfterHeartbeat();
  return OK(...heartbeatFields(m));
}

function rtcNow(m: SimModel): string[] {
  const d = new Date(m.clock() + m.rtcOffsetMs);
  return [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map(String);
}

export const HANDLERS: Readonly<Record<string, Handler>> = {
  // ---- §8.1 ----
  F0: exactly(1, (m, p) => {
    m.lcdHostOwned = p[0] === "0";
    return OK();
  }),
  F1: exactly(0, (m) => {
    buttonPress(m);
    return { reply: "ok", fields: [], stateMessageFirst: true };
  }),
  FB: exactly(1, () => OK()),
  FD: exactly(0, (m) => {
    m.mode = "disabled";
    m.evaluate();
    return OK();
  }),
  FE: exactly(0, (m) => {
    if (m.mode !== "active") {
      m.mode = "active";
      m.evaluate();
    }
    return OK();
  }),
  FF: exactly(2, (m, p) => {
    const [letter, value] = p;
    const on = value !== "0";
    // Firmware bug (§14 item 2): `$FF E 0` and `$FF E 1` both switch echo on.
    if (letter === "E") {
      m.echo = true;
      return OK();
    }
    const bit = FEATURE_BITS[letter ?? ""];
    if (bit === undefined) return NK();
    m.settings = on ? m.settings & ~bit : m.settings | bit;
    return OK();
  }),
  FP: (m, p) => (p.length < 3 || (m.vflagsNow & VFLAG.hardFault) !== 0 ? NK() : OK()),
  FR: exactly(0, () => ({ reply: "none", reboot: true })),
  FS: exactly(0, (m) => {
    m.mode = "sleep";
    m.evaluate();
    return OK();
  }),
  // ---- §8.2 ----
  S0: exactly(1, () => OK()),
  S1: exactly(6, (m, p) => {
    const [yr, mo, dy, hr, mn, sc] = p.map(quirkDec);
    const set = Date.UTC(2000 + (yr ?? 0), (mo ?? 1) - 1, dy ?? 1, hr ?? 0, mn ?? 0, sc ?? 0);
    m.rtcOffsetMs = set - m.clock();
    return OK();
  }),
  S5: exactly(1, (m, p) => {
    const v = p[0];
    if (v === "A" || v === "M") m.mennekes.manual = v === "M";
    else if ((v === "0" || v === "1") && m.mennekes.manual) m.mennekes.locked = v === "1";
    else return NK();
    return OK();
  }),
  SA: exactly(2, (m, p) => {
    m.ammeter = { scale: quirkDec(p[0] ?? ""), offset: quirkDec(p[1] ?? "") };
    return OK();
  }),
  SC: setCurrent,
  // No parameter check in the firmware: without a value an undefined number is written (§14 item 19).
  SK: (m, p) => {
    m.totalWh = p.length === 0 ? 0xffffffff : quirkDec(p[0] ?? "");
    return OK();
  },
  SL: exactly(1, (m, p) => {
    const v = p[0];
    if (v === "1") m.settings &= ~SETTING.serviceLevel2;
    else if (v === "2") m.settings |= SETTING.serviceLevel2;
    else if (v === "A" && !m.eu) m.settings &= ~SETTING.autoServiceLevelDisabled;
    else return NK();
    m.advance();
    m.pilotA = Math.min(m.pilotA, m.levelMaxA);
    return OK();
  }),
  ST: exactly(4, (m, p) => {
    const [sh, sm, eh, em] = p.map(quirkDec);
    m.timer = { sh: sh ?? 0, sm: sm ?? 0, eh: eh ?? 0, em: em ?? 0 };
    return OK();
  }),
  SV: exactly(1, (m, p) => {
    m.advance();
    m.voltageMv = quirkDec(p[0] ?? "");
    return OK();
  }),
  SY: heartbeat,
  // ---- §8.3 ----
  G0: exactly(0, (m) => OK(m.state === EVSE_STATE.disabled ? 2 : m.plugged ? 1 : 0)),
  G5: exactly(0, (m) => OK(m.mennekes.locked ? 1 : 0, m.mennekes.manual ? "M" : "A")),
  GA: exactly(0, (m) => OK(m.ammeter.scale, m.ammeter.offset)),
  GC: exactly(0, (m) => OK(m.minA, m.levelMaxA, m.pilotA, m.maxA)),
  GD: exactly(0, (m) => OK(m.timer.sh, m.timer.sm, m.timer.eh, m.timer.em)),
  GE: exactly(0, (m) => OK(m.pilotA, fmtHex(m.settings, 4))),
  GF: exactly(0, (m) => OK(m.faultCounts.gfi.toString(16), m.faultCounts.noGround.toString(16), m.faultCounts.stuckRelay.toString(16))),
  GG: exactly(0, (m) => OK(Math.round(m.drawA * 1000), m.voltageMv)),
  // The MCU id reply has two spaces after $OK (§8.3): an empty first field.
  GI: exactly(0, (m) => OK("", m.mcuId)),
  GP: exactly(0, (m) => OK(...m.temperatures)),
  GS: exactly(0, (m) => OK(fmtHex(m.state, 2), m.elapsedNow, fmtHex(m.pilotReading, 2), fmtHex(m.vflagsNow, 4))),
  GT: exactly(0, (m) => OK(...rtcNow(m))),
  GU: exactly(0, (m) => {
    m.advance();
    return OK(Math.floor(m.sessionWs), Math.floor(m.totalWh));
  }),
  GV: exactly(0, (m) => OK(m.firmware, m.rapi)),
  GY: exactly(0, (m) => OK(...heartbeatFields(m))),
};
