// Everything that starts, stops or sets the current of a charger, for `/set` and `/request` alike.
// Each path asks the charger's one ChargeGuard first: currents only ever lowered, start/stop
// cooldown, and a switch to the state the charger is already in sends nothing and keeps the
// cooldown where it was.

import { CommandError, TimeoutError } from "../../lib/errors.ts";
import type { CurrentDecision } from "../../lib/guard.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { ChargeStart } from "./app-payloads.ts";
import type { AppMessage } from "./codec.ts";
import type { ActionContext } from "./context.ts";
import { dateToEm } from "./emtime.ts";
import { ACTION_SET, canForceSinglePhase, phasesOf, RESERVATION_RESULTS, START_ERRORS } from "./enums.ts";
import { computedPowerW, type StopResult } from "./evse-payloads.ts";
import { ampsCap, startAtMs } from "./limits.ts";
import type { ChargeStartArgs } from "./messages.ts";
import { confirmStopped, describeStatus, STOPPED_POWER_W } from "./stop-verify.ts";
import { statusActive } from "./view.ts";

/** More than this ahead of now counts as a reservation (emproto4go). */
const RESERVATION_SLACK_MS = 5000;

/** The current to send for `asked`: the guard's decision, refused outright on a device that cannot take 6 A. */
export function currentFor(ctx: ActionContext, asked: number, field: string): CurrentDecision {
  ampsCap(ctx.view.info?.maxCurrentA, ctx.charger?.max_current_a);
  return ctx.guard.current(asked, field);
}

/** Whether the charger's newest status (of this login) shows a session running or planned. */
function activeNow(ctx: ActionContext): boolean | undefined {
  const s = ctx.session.status;
  return s ? statusActive(s) : undefined;
}

/** Local `yyyyMMddHHmm` + 4 random digits, the OEM app's format (§8). */
function newChargeId(now: Date, tz: string): string {
  const wall = new Date((dateToEm(now, tz) + 8 * 3600) * 1000).toISOString();
  const stamp = wall.slice(0, 16).replace(/[-T:]/g, "");
  return stamp + String(Math.floor(Math.random() * 10000)).padStart(4, "0");
}

/** Fire and forget (the answer arrives as a datagram like any other); a lost session is reported elsewhere. */
function ask(ctx: ActionContext, m: AppMessage): void {
  ctx.session.request(m, undefined, m.type).catch(() => {});
}

export async function chargeStart(ctx: ActionContext, args: ChargeStartArgs): Promise<unknown> {
  ctx.session.requireSession();
  const info = ctx.view.info;
  const asked = args.max_amps ?? ctx.view.config.maxCurrentA ?? ctx.guard.maxA;
  const { amps, clamped_from } = currentFor(ctx, asked, args.max_amps === undefined ? "the configured max current" : "max_amps");
  const now = ctx.now();
  const at = startAtMs(args.start_at, now);
  const reservation = at - now > RESERVATION_SLACK_MS;
  const three = info ? phasesOf(info.deviceType) === 3 : false;
  let lineId = three ? 2 : 1;
  let chargeType = 1;
  if (args.single_phase && info && three) {
    if (!canForceSinglePhase(info.deviceType, info.extra)) throw new CommandError(`single_phase is not supported by this device (type ${info.deviceType})`);
    lineId = 1;
    chargeType = 11;
  }
  let duration = args.max_duration_minutes ?? null;
  // The Telestar EC311S6 honours whole hours only (§8).
  if (duration !== null && /telestar/i.test(`${info?.brand} ${info?.model}`)) duration = Math.max(60, Math.round(duration / 60) * 60);
  const tz = ctx.settings.time_zone;
  const start: ChargeStart = {
    lineId,
    userId: args.user_id ?? ctx.settings.user_id,
    chargeId: args.charge_id ?? newChargeId(new Date(now), tz),
    isReservation: reservation,
    startTime: dateToEm(new Date(reservation ? at : now), tz),
    startType: 1,
    chargeType,
    maxDurationMin: duration,
    maxEnergyKwh: args.max_energy_kwh ?? null,
    param3: 0xffff,
    maxCurrentA: amps,
  };
  const sw = ctx.guard.switching(true, activeNow(ctx), "rate limited: charge start");
  if (sw.redundant) return { already: "charging or reserved" };
  const m = await ctx.session.request({ type: "chargeStart", start }, "start", "ChargeStartResponse");
  if (m?.type !== "chargeStartResponse") throw new CommandError(`unexpected answer to ChargeStart: ${m?.type ?? "none"}`);
  const r = m.result;
  const refused = r.errorReason !== 0 ? START_ERRORS[r.errorReason] ?? `charge start refused (errorReason ${r.errorReason})` : ![0, 1, 4].includes(r.reservationResult) ? RESERVATION_RESULTS[r.reservationResult] ?? `charge start refused (reservationResult ${r.reservationResult})` : undefined;
  if (refused) {
    // Nothing switched, so the refusal must not lock the user out for a cooldown.
    sw.undo();
    throw new CommandError(refused);
  }
  ask(ctx, { type: "sessionRequest" });
  return {
    reserved: reservation && r.reservationResult === 1,
    start_at: new Date(reservation ? at : now).toISOString(),
    max_amps: r.maxCurrentA,
    ...(clamped_from !== undefined && { clamped_from }),
    line_id: lineId,
    single_phase: chargeType === 11 || !three,
    max_duration_minutes: duration,
    max_energy_kwh: start.maxEnergyKwh,
    user_id: start.userId,
    charge_id: start.chargeId,
    reservation_result: RESERVATION_RESULTS[r.reservationResult],
    start_result: r.startResult,
  };
}

/**
 * ChargeStop, then proof from the charger's own status that the output is off within
 * `stop_verify_s`; without that proof the reply is an error that says what the status shows.
 */
export async function chargeStop(ctx: ActionContext, userId: string | undefined): Promise<unknown> {
  ctx.session.requireSession();
  const sw = ctx.guard.switching(false, activeNow(ctx), "rate limited: charge stop");
  if (sw.redundant) return { already: "not charging" };
  const sentAt = ctx.now();
  const before = ctx.session.statusCount;
  let r: StopResult | undefined;
  try {
    const m = await ctx.session.request({ type: "chargeStop", stop: { lineId: 1, userId: userId ?? ctx.settings.user_id } }, "stop", "ChargeStopResponse");
    if (m?.type === "chargeStopResponse") r = m.result;
  } catch (err) {
    // Some units stop without answering 0x0008 (spec G6): their status may still prove the stop.
    if (!(err instanceof TimeoutError)) throw err;
  }
  if (r && r.failReason !== 0) {
    sw.undo();
    throw new CommandError(`charge stop refused (failReason ${r.failReason})`);
  }
  ask(ctx, { type: "sessionRequest" });
  const verifyS = ctx.settings.stop_verify_s;
  const check = await confirmStopped(ctx.session, before, sentAt + verifyS * 1000, ctx.now);
  if (!check.stopped) {
    // The output never went off, so nothing switched: a retry must not wait out the cooldown.
    sw.undo();
    const acked = r ? "the charger acknowledged the stop" : `no ChargeStopResponse within ${ctx.settings.reply_timeout_s} s`;
    const shows = check.last ? `its status still shows ${describeStatus(check.last)}` : "no status datagram arrived";
    throw new CommandError(`${acked}, but ${verifyS} s later ${shows} (off means no session and at most ${STOPPED_POWER_W} W): energy may still flow`);
  }
  const took = Math.round((ctx.now() - sentAt) / 100) / 10;
  return { stopped: true, stop_result: r ? r.stopResult : null, ...(r ? {} : { stop_response: "none" }), confirmed_by: "status", power_w: computedPowerW(check.status), took_s: took };
}

/** The configured max current (next session; live only on units that honour it, §5.10). */
export async function setMaxCurrent(ctx: ActionContext, amps: number, clampedFrom?: number): Promise<unknown> {
  ctx.session.requireSession();
  const m = await ctx.session.request({ type: "setting", setting: "maxCurrent", action: ACTION_SET, value: amps }, "maxCurrent:1", "max current answer");
  const got = m?.type === "setting" ? m.value : undefined;
  if (got !== amps) throw new CommandError(`the charger kept max current ${got ?? "unknown"} instead of ${amps}`);
  // Telestar units only use it for the next start; others apply it live (§5.10): never promise live.
  return { max_current_a: got, ...(clampedFrom !== undefined && { clamped_from: clampedFrom }), applies_to: "next session (live only on units that honour it)" };
}

/** `/set`: a wanted state. Checked before anything is sent; a stop goes first, a start last. */
export async function runSet(ctx: ActionContext, cmd: SetCommand): Promise<unknown> {
  // First: an "already …" answer from a status of an earlier session (or of a spoofer) would be a lie.
  ctx.session.requireSession();
  const out: Record<string, unknown> = {};
  // A slow or failing setting cannot hold a stop up; a new current applies to the start after it.
  const limit = cmd.current_limit_a === undefined ? undefined : currentFor(ctx, cmd.current_limit_a, "current_limit_a");
  if (cmd.enabled === false) out.enabled = await chargeStop(ctx, undefined);
  if (limit) out.current_limit = await setMaxCurrent(ctx, limit.amps, limit.clamped_from);
  if (cmd.enabled === true) out.enabled = await chargeStart(ctx, {});
  return out;
}
