// Payloads of the gateway's command and input topics (spec §10.4–§10.6), validated. Each parser
// returns a typed command or a sentence naming the topic and field; nothing invalid is acted on.

import { z } from "zod";
import { formatZodError } from "../../lib/zod-format.ts";
import type { Command } from "./codec.ts";
import { mergeProps, type ClaimProps, type ClaimState, type PropsPatch } from "./claims.ts";
import { MAX_PILOT_A } from "./commands.ts";
import type { Parsed } from "./input-topic.ts";

export { checkInputTopic, type Parsed } from "./input-topic.ts";

const AMPS_ERROR = `expected whole amps 0–${MAX_PILOT_A} or "clear"`;
const amps = () => z.union([z.number().int(AMPS_ERROR).min(0, AMPS_ERROR).max(MAX_PILOT_A, AMPS_ERROR), z.literal("clear")], { error: AMPS_ERROR });

// Strict: a misspelt key must not silently leave the claim as it was.
export const propsSchema = z
  .object({
    state: z.enum(["active", "disabled", "clear"], { error: 'expected "active", "disabled" or "clear"' }).optional(),
    charge_current: amps().optional(),
    max_current: amps().optional(),
    auto_release: z.boolean({ error: "expected true or false" }).optional(),
  })
  .strict();

function json(topic: string, payload: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(payload) };
  } catch {
    return { ok: false, error: `${topic}: not JSON (${payload.length} bytes)` };
  }
}

function props(topic: string, payload: string): Parsed<PropsPatch> {
  const j = json(topic, payload);
  if (!j.ok) return j;
  const r = propsSchema.safeParse(j.value);
  if (!r.success) return { ok: false, error: `${topic}: ${formatZodError(r.error)}` };
  return { ok: true, value: r.data };
}

export type OverrideCommand = { kind: "set"; patch: PropsPatch } | { kind: "toggle" } | { kind: "clear" };

/** `<b>/override/set`: JSON properties (partial, "clear" per field), `toggle` or `clear`. */
export function parseOverrideSet(payload: string): Parsed<OverrideCommand> {
  const p = payload.trim();
  if (p === "toggle" || p === "clear") return { ok: true, value: { kind: p } };
  const r = props("override/set", p);
  return r.ok ? { ok: true, value: { kind: "set", patch: r.value } } : r;
}

/**
 * The manual override after a command. New and updated overrides default to auto-release (the
 * gateway's rule); `toggle` claims the opposite of the current target state, or releases.
 */
export function applyOverride(current: ClaimProps | null, cmd: OverrideCommand, targetState: ClaimState): ClaimProps | null {
  if (cmd.kind === "clear") return null;
  if (cmd.kind === "toggle") return current ? null : { state: targetState === "active" ? "disabled" : "active", auto_release: true };
  const next = mergeProps(current ?? {}, cmd.patch);
  return next.auto_release === undefined ? { ...next, auto_release: true } : next;
}

export type ClaimCommand = { kind: "set"; patch: PropsPatch } | { kind: "release" };

/** `<b>/claim/set`: JSON properties (kept between messages) or `release`. */
export function parseClaimSet(payload: string): Parsed<ClaimCommand> {
  const p = payload.trim();
  if (p === "release") return { ok: true, value: { kind: "release" } };
  const r = props("claim/set", p);
  return r.ok ? { ok: true, value: { kind: "set", patch: r.value } } : r;
}

/** `<b>/divertmode/set`: 1 normal, 2 eco. */
export function parseDivertModeSet(payload: string): Parsed<1 | 2> {
  const n = Number(payload.trim());
  if (n === 1 || n === 2) return { ok: true, value: n };
  return { ok: false, error: `divertmode/set: expected 1 (normal) or 2 (eco), got "${payload.slice(0, 20)}"` };
}

/** `<b>/shaper/set`: 0 off, 1 on (until restart). */
export function parseShaperSet(payload: string): Parsed<boolean> {
  const p = payload.trim();
  if (p === "0" || p === "1") return { ok: true, value: p === "1" };
  return { ok: false, error: `shaper/set: expected 0 or 1, got "${payload.slice(0, 20)}"` };
}

export type LimitType = "none" | "time" | "energy" | "soc" | "range";

export interface SessionLimit {
  type: LimitType;
  /** Minutes, Wh, %, or km/mi by type. */
  value: number;
  auto_release: boolean;
}

export const limitSchema = z
  .object({
    type: z.enum(["none", "time", "energy", "soc", "range"], { error: 'expected "none", "time", "energy", "soc" or "range"' }),
    value: z.number({ error: "expected a number (minutes, Wh, % or km/mi by type)" }).finite().nonnegative().optional(),
    auto_release: z.boolean({ error: "expected true or false" }).optional(),
  })
  .strict()
  .refine((l) => l.type === "none" || l.value !== undefined, { message: "required unless type is none", path: ["value"] })
  .refine((l) => l.type !== "soc" || (l.value ?? 0) <= 100, { message: "a state-of-charge limit is 0–100 %", path: ["value"] });

/** `<b>/limit/set`: `{"type","value","auto_release"}`, or `clear` (null). */
export function parseLimitSet(payload: string): Parsed<SessionLimit | null> {
  const p = payload.trim();
  if (p === "clear") return { ok: true, value: null };
  const j = json("limit/set", p);
  if (!j.ok) return j;
  const r = limitSchema.safeParse(j.value);
  if (!r.success) return { ok: false, error: `limit/set: ${formatZodError(r.error)}` };
  return { ok: true, value: { type: r.data.type, value: r.data.value ?? 0, auto_release: r.data.auto_release ?? true } };
}

export const restartSchema = z.object({ device: z.enum(["gateway", "evse"], { error: 'expected "gateway" or "evse"' }) }).strict();

/** `<b>/restart`: `{"device":"gateway"}` (the bridge itself) or `{"device":"evse"}` (`$FR`). */
export function parseRestart(payload: string): Parsed<"gateway" | "evse"> {
  const j = json("restart", payload);
  if (!j.ok) return j;
  const r = restartSchema.safeParse(j.value);
  return r.success ? { ok: true, value: r.data.device } : { ok: false, error: `restart: ${formatZodError(r.error)}` };
}

/**
 * `<b>/rapi/in/<cmd>`: command from the topic (from its first `$`), parameters from the payload
 * (split on spaces). Without `full`, only `$G…`, `$F0` and `$FB` pass, as on gateway builds without
 * ENABLE_FULL_RAPI (§10.5). The caller encodes, which checks length and characters.
 */
export function parseRapiIn(topicTail: string, payload: string, full: boolean): Parsed<Command> {
  const at = topicTail.indexOf("$");
  const code = at < 0 ? "" : topicTail.slice(at + 1);
  if (!/^[A-Z][A-Z0-9]$/.test(code)) return { ok: false, error: `rapi/in: topic must end in $ and a two-character command such as $GS, got "${topicTail.slice(0, 20)}"` };
  if (!full && !code.startsWith("G") && code !== "F0" && code !== "FB") {
    return { ok: false, error: `rapi/in: $${code} is not allowed (only $G…, $F0 and $FB without full RAPI access)` };
  }
  const params = payload.trim() === "" ? [] : payload.trim().split(/ +/);
  return { ok: true, value: { code, params } };
}

/**
 * Grid, solar and live power inputs (§10.6), W. The gateway reads a leading integer (3.9 → 3) and
 * turns garbage into 0; we keep the truncation but refuse garbage, since 0 W of site load would
 * let the shaper raise the current.
 */
export function parsePowerInput(topic: string, payload: string): Parsed<number> {
  const p = payload.trim();
  const n = Number(p);
  if (p === "" || !Number.isFinite(n)) return { ok: false, error: `${topic}: expected a power in W, got "${payload.slice(0, 20)}"` };
  return { ok: true, value: Math.trunc(n) };
}

/** Mains voltage input (`mqtt_vrms`), V; the gateway accepts 60–300. */
export function parseVoltageInput(topic: string, payload: string): Parsed<number> {
  const n = Number(payload.trim());
  if (payload.trim() === "" || !Number.isFinite(n) || n < 60 || n > 300) return { ok: false, error: `${topic}: expected a voltage 60–300 V, got "${payload.slice(0, 20)}"` };
  return { ok: true, value: n };
}

