// Raw RAPI from MQTT (`rapi/in/<cmd>`, the `rapi` action) through the same guard as `/set`: a
// command that switches charging passes the rate limit, a current passes the clamp, and what
// would take control away from the bridge is refused. Never a way around the limits.
import { CommandError } from "../../lib/errors.ts";
import type { ChargeGuard } from "../../lib/guard.ts";
import type { Command } from "./codec.ts";
import { parseRapiIn } from "./gateway-commands.ts";

/** Refusals with the reason, for commands no MQTT user should send through the bridge. */
const BLOCKED: Readonly<Record<string, string>> = {
  SY: "heartbeat supervision is kept by the bridge (heartbeat_interval_s)",
  ST: "the delay timer would switch charging on and off outside the switch rate limit",
};

export interface Vetted {
  cmd: Command;
  /** Set when the current was lowered to the maximum (or rounded down). */
  clamped_from?: number;
  /** For the reply: how the command was changed on its way. */
  note?: string;
}

/** `$SC 16 V` → a command; the same filter as the topic form (only `$G…`, `$F0`, `$FB` without full access). */
export function parseRapiText(text: string, full: boolean): Command {
  const t = text.trim();
  const space = t.indexOf(" ");
  const head = space < 0 ? t : t.slice(0, space);
  const rest = space < 0 ? "" : t.slice(space + 1);
  if (!head.startsWith("$")) throw new CommandError(`rapi: a command starts with $ (e.g. "$GS"), got "${t.slice(0, 20)}"`);
  const r = parseRapiIn(head, rest, full);
  if (!r.ok) throw new CommandError(r.error);
  return r.value;
}

/**
 * Checks a raw command against the guard. `active`: whether the controller charges or may charge
 * now (state 1–3), undefined when unknown. Switching commands claim the rate limit's slot.
 */
export function vetRapi(cmd: Command, guard: ChargeGuard, active: boolean | undefined): Vetted {
  const p = cmd.params ?? [];
  const blocked = BLOCKED[cmd.code];
  if (blocked) throw new CommandError(`$${cmd.code} is not passed through: ${blocked}`);
  switch (cmd.code) {
    case "FF":
      if (p[0] === "E") throw new CommandError("$FF E is not passed through: both values switch command echo on (firmware bug, spec §14 item 2)");
      return { cmd };
    case "SK":
      if (p.length !== 1) throw new CommandError("$SK needs the value (e.g. $SK 0): without it the controller writes an undefined number (spec §14 item 19)");
      return { cmd };
    case "SC": {
      if (p.length < 1 || p.length > 2) throw new CommandError("$SC takes amps and optionally V");
      if (p[1] === "M") throw new CommandError("$SC … M is not passed through: it writes the controller's one-time hardware maximum");
      const asked = Number(p[0]);
      if (!/^\d{1,3}$/.test(p[0] ?? "")) throw new CommandError(`$SC: amps must be a whole number, got "${p[0] ?? ""}"`);
      const d = guard.current(asked, `$SC ${asked}`);
      // Always volatile: automations that send $SC on every change must not wear out the EEPROM.
      const out: Vetted = { cmd: { code: "SC", params: [String(d.amps), "V"] } };
      if (d.clamped_from !== undefined) out.clamped_from = d.clamped_from;
      if (p[1] !== "V") out.note = "sent as the volatile $SC … V (not saved to EEPROM)";
      return out;
    }
    case "FE":
      guard.switching(true, active, "$FE");
      return { cmd };
    case "F1":
      // The button toggles: it starts when the controller sleeps, stops otherwise.
      guard.switching(active === undefined ? true : !active, active, "$F1");
      return { cmd };
    case "FS":
    case "FD":
      guard.switching(false, active, `$${cmd.code}`);
      return { cmd };
    default:
      return { cmd };
  }
}
