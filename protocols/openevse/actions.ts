// The OpenEVSE `/request` actions. The compatible command topics (`override/set`, `claim/set`,
// `divertmode/set`, `limit/set`, `shaper/set`, `restart`, `rapi/in/<cmd>`) run the same table, so
// every path passes the same validation, clamp and switch rate limit.
import { z } from "zod";
import { action, noArgs, type ActionTable } from "../../lib/actions.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { Command } from "./codec.ts";
import { GET_CODES, type GetCode } from "./commands.ts";
import { type ClaimCommand, limitSchema, type OverrideCommand, propsSchema, restartSchema, type SessionLimit } from "./gateway-commands.ts";

/** What the actions act on: one controller (OpenEvseDevice). */
export interface OpenEvseTarget {
  /** `$GS` now, and everything known of the controller. */
  status(): Promise<unknown>;
  /** A get command's raw reply; `$NK` is an error. */
  get(code: GetCode): Promise<unknown>;
  /** Normalized `/set` (also `enable`/`sleep`). */
  set(cmd: SetCommand): Promise<unknown>;
  releaseNormalized(): Promise<unknown>;
  override(cmd: OverrideCommand): Promise<unknown>;
  claim(cmd: ClaimCommand): Promise<unknown>;
  divertMode(mode: 1 | 2): Promise<unknown>;
  shaper(on: boolean): Promise<unknown>;
  limit(limit: SessionLimit | null): Promise<unknown>;
  restart(device: "gateway" | "evse"): Promise<unknown>;
  /** Raw RAPI through the guard; `$NK` and timeouts are errors. */
  rapi(cmd: Command | string): Promise<unknown>;
  claims(): unknown;
}

const getCode = z.enum(GET_CODES, { error: `expected one of ${GET_CODES.join(", ")}` });

export const openevseActions: ActionTable<OpenEvseTarget> = {
  status: action("read the state ($GS) and report everything known of the controller", noArgs, (_a, t) => t.status()),
  get: action("run one get command ($GS, $GC, $GP, $GU, …) and return its reply fields", z.object({ code: getCode }).strict(), (a, t) => t.get(a.code)),
  enable: action("let the controller charge (the normalized claim's state: active; rate-limited)", noArgs, (_a, t) => t.set({ enabled: true })),
  sleep: action("stop charging (the normalized claim's state: disabled)", noArgs, (_a, t) => t.set({ enabled: false })),
  release: action("drop the normalized layout's claim (its enabled and current_limit_a)", noArgs, (_a, t) => t.releaseNormalized()),
  override: action("set or update the manual override claim (override/set)", propsSchema, (a, t) => t.override({ kind: "set", patch: a })),
  override_toggle: action("override the current state with its opposite, or release the override", noArgs, (_a, t) => t.override({ kind: "toggle" })),
  override_clear: action("release the manual override", noArgs, (_a, t) => t.override({ kind: "clear" })),
  claim: action("set or update the MQTT client's claim (claim/set)", propsSchema, (a, t) => t.claim({ kind: "set", patch: a })),
  claim_release: action("release the MQTT client's claim", noArgs, (_a, t) => t.claim({ kind: "release" })),
  divert_mode: action("solar divert: 1 normal, 2 eco (divertmode/set)", z.object({ mode: z.union([z.literal(1), z.literal(2)], { error: "expected 1 (normal) or 2 (eco)" }) }).strict(), (a, t) => t.divertMode(a.mode)),
  shaper: action("switch the current shaper on or off until restart (shaper/set)", z.object({ enabled: z.boolean() }).strict(), (a, t) => t.shaper(a.enabled)),
  limit: action("set a session limit {type: time|energy|soc|range, value, auto_release} (limit/set)", limitSchema, (a, t) => t.limit({ type: a.type, value: a.value ?? 0, auto_release: a.auto_release ?? true })),
  limit_clear: action("clear the session limit", noArgs, (_a, t) => t.limit(null)),
  restart: action('reboot the controller ($FR, {"device":"evse"}) or reopen its link ({"device":"gateway"})', restartSchema, (a, t) => t.restart(a.device)),
  rapi: action("send one raw RAPI command, e.g. {\"command\":\"$GS\"} (switching and currents pass the guard)", z.object({ command: z.string().min(3).max(40) }).strict(), (a, t) => t.rapi(a.command)),
  claims: action("list the claims and the target they resolve to", noArgs, (_a, t) => t.claims()),
};
