// Asynchronous controller → host messages (spec §6), typed both ways.

import { formatFrame, type RapiFrame } from "./frame.ts";
import { fmtHex, parseDec, parseHex, type FieldResult } from "./fields.ts";

export type Notification =
  /** RAPI ≥ 5.0.0 state transition. */
  | { type: "AT"; state: number; pilot: number; currentA: number; vflags: number }
  /** Boot finished; `state` is 0 normally, 0xfe asleep by the delay timer, or a self-test fault. */
  | { type: "AB"; state: number; firmware: string }
  /** Front button pressed while disabled for the controller (`$FF B 0`). */
  | { type: "AN"; press: "short" | "long" }
  /** Request to the WiFi module: 0 AP mode, 1 client mode, 2 AP with defaults. */
  | { type: "WF"; mode: number }
  /** RAPI 2.x–4.x state transition, state in decimal. */
  | { type: "ST"; state: number }
  /** An `$A…` code this version does not know; kept so a newer controller is not mistaken for noise. */
  | { type: "unknown"; code: string; params: string[] };

/** `$A…`, `$WF`, and `$ST` with exactly one parameter are notifications (§5 rule 2); `$ST` with four is the timer command. */
export function isNotification(frame: RapiFrame): boolean {
  return frame.code.startsWith("A") || frame.code === "WF" || (frame.code === "ST" && frame.params.length === 1);
}

function need(frame: RapiFrame, n: number): string | null {
  return frame.params.length < n ? `$${frame.code} needs ${n} field${n === 1 ? "" : "s"}, got ${frame.params.length}` : null;
}

/** Typed notification, or a sentence naming the field that did not fit. Extra trailing fields are ignored (later firmware may add some). */
export function parseNotification(frame: RapiFrame): FieldResult<Notification> {
  const p = frame.params;
  const f = (i: number): string => p[i] ?? "";
  const where = (i: number, name: string) => `$${frame.code} field ${i + 1} (${name})`;
  switch (frame.code) {
    case "AT": {
      const short = need(frame, 4);
      if (short) return { ok: false, error: short };
      const state = parseHex(f(0), 2, where(0, "EVSE state"));
      if (!state.ok) return state;
      const pilot = parseHex(f(1), 2, where(1, "pilot state"));
      if (!pilot.ok) return pilot;
      const amps = parseDec(f(2), where(2, "current capacity A"));
      if (!amps.ok) return amps;
      const vflags = parseHex(f(3), 4, where(3, "volatile flags"));
      if (!vflags.ok) return vflags;
      return { ok: true, value: { type: "AT", state: state.value, pilot: pilot.value, currentA: amps.value, vflags: vflags.value } };
    }
    case "AB": {
      const short = need(frame, 2);
      if (short) return { ok: false, error: short };
      const state = parseHex(f(0), 2, where(0, "boot state"));
      if (!state.ok) return state;
      if (f(1) === "") return { ok: false, error: `${where(1, "firmware version")}: empty` };
      return { ok: true, value: { type: "AB", state: state.value, firmware: f(1) } };
    }
    case "AN": {
      const short = need(frame, 1);
      if (short) return { ok: false, error: short };
      if (f(0) !== "0" && f(0) !== "1") return { ok: false, error: `${where(0, "press")}: expected 0 (short) or 1 (long), got "${f(0)}"` };
      return { ok: true, value: { type: "AN", press: f(0) === "0" ? "short" : "long" } };
    }
    case "WF": {
      const short = need(frame, 1);
      if (short) return { ok: false, error: short };
      const mode = parseHex(f(0), 2, where(0, "WiFi mode"));
      if (!mode.ok) return mode;
      return { ok: true, value: { type: "WF", mode: mode.value } };
    }
    case "ST": {
      const state = parseDec(f(0), where(0, "EVSE state (decimal)"));
      if (!state.ok) return state;
      return { ok: true, value: { type: "ST", state: state.value } };
    }
    default:
      return { ok: true, value: { type: "unknown", code: frame.code, params: [...p] } };
  }
}

/** The controller's rendering (always with an XOR checksum, never a sequence id): `$AT 03 03 32 0140^35`. */
export function formatNotification(n: Notification): string {
  switch (n.type) {
    case "AT": return formatFrame("AT", [fmtHex(n.state, 2), fmtHex(n.pilot, 2), String(n.currentA), fmtHex(n.vflags, 4)]);
    case "AB": return formatFrame("AB", [fmtHex(n.state, 2), n.firmware]);
    case "AN": return formatFrame("AN", [n.press === "short" ? "0" : "1"]);
    case "WF": return formatFrame("WF", [fmtHex(n.mode, 2)]);
    case "ST": return formatFrame("ST", [String(n.state)]);
    case "unknown": return formatFrame(n.code, n.params);
  }
}
