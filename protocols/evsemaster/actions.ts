// MQTT commands for one charger: `/set` and the `/request` actions, with the safety rules
// (current limits, start/stop cooldown) applied before anything reaches the EVSE.

import type { z } from "zod";
import { CommandError } from "../../lib/errors.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import { formatZodError } from "../../lib/zod-format.ts";
import type { ChargeStart } from "./app-payloads.ts";
import type { EvseCharger } from "./driver.ts";
import { fetchConfig } from "./fetch-config.ts";
import { dateToEm } from "./emtime.ts";
import { ampsCap as capOf, MIN_AMPS, pickAmps, startAtMs } from "./limits.ts";
import { ACTION_SET, canForceSinglePhase, LANGUAGES, languageName, phasesOf, RESERVATION_RESULTS, START_ERRORS, type NumericSetting } from "./enums.ts";
import { computedPowerW, type StartResult, type StopResult } from "./evse-payloads.ts";
import { REQUEST_ACTIONS, type ChargeStartArgs, type RequestAction } from "./messages.ts";
import { ReplyTimeoutError } from "./pending.ts";
import { confirmStopped, describeStatus, STOPPED_POWER_W } from "./stop-verify.ts";
import { sessionActive } from "./view.ts";

/** More than this ahead of now counts as a reservation (emproto4go). */
const RESERVATION_SLACK_MS = 5000;

const ampsCap = (d: EvseCharger): number => capOf(d.view.info?.maxCurrentA, d.cfg?.max_current_a);

/** Refuses inside the cooldown, else records the switch and returns how to take it back. */
function claimSwitch(d: EvseCharger, what: string): () => void {
  const refusal = d.switches.refusal(`rate limited: ${what}`);
  if (refusal) throw new CommandError(refusal);
  return d.switches.record();
}

/** Local `yyyyMMddHHmm` + 4 random digits, the OEM app's format (§8). */
function newChargeId(now: Date, tz: string): string {
  const wall = new Date((dateToEm(now, tz) + 8 * 3600) * 1000).toISOString();
  const stamp = wall.slice(0, 16).replace(/[-T:]/g, "");
  return stamp + String(Math.floor(Math.random() * 10000)).padStart(4, "0");
}

async function chargeStart(d: EvseCharger, args: ChargeStartArgs): Promise<unknown> {
  d.requireSession();
  const info = d.view.info;
  const cap = ampsCap(d);
  const { amps, clamped_from } = pickAmps(args.max_amps ?? d.view.config.maxCurrentA ?? cap, cap, args.max_amps === undefined ? "the configured max current" : "max_amps");
  const now = Date.now();
  const at = startAtMs(args.start_at, now);
  const reservation = at - now > RESERVATION_SLACK_MS;
  const three = info ? phasesOf(info.deviceType) === 3 : false;
  let lineId = three ? 2 : 1;
  let chargeType = 1;
  if (args.single_phase && three) {
    if (!canForceSinglePhase(info!.deviceType, info!.extra)) throw new CommandError(`single_phase is not supported by this device (type ${info!.deviceType})`);
    lineId = 1;
    chargeType = 11;
  }
  let duration = args.max_duration_minutes ?? null;
  // The Telestar EC311S6 honours whole hours only (§8).
  if (duration !== null && /telestar/i.test(`${info?.brand} ${info?.model}`)) duration = Math.max(60, Math.round(duration / 60) * 60);
  const start: ChargeStart = {
    lineId,
    userId: args.user_id ?? d.settings.user_id,
    chargeId: args.charge_id ?? newChargeId(new Date(now), d.settings.time_zone),
    isReservation: reservation,
    startTime: dateToEm(new Date(reservation ? at : now), d.settings.time_zone),
    startType: 1,
    chargeType,
    maxDurationMin: duration,
    maxEnergyKwh: args.max_energy_kwh ?? null,
    param3: 0xffff,
    maxCurrentA: amps,
  };
  const undo = claimSwitch(d, "charge start");
  const r = await d.command<StartResult>({ type: "chargeStart", start }, "start", "ChargeStartResponse");
  const refused = r.errorReason !== 0 ? START_ERRORS[r.errorReason] ?? `charge start refused (errorReason ${r.errorReason})` : ![0, 1, 4].includes(r.reservationResult) ? RESERVATION_RESULTS[r.reservationResult] ?? `charge start refused (reservationResult ${r.reservationResult})` : undefined;
  if (refused) {
    // Nothing switched, so the refusal must not lock the user out for a cooldown.
    undo();
    throw new CommandError(refused);
  }
  d.send({ type: "sessionRequest" });
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
async function chargeStop(d: EvseCharger, userId: string | undefined): Promise<unknown> {
  d.requireSession();
  const undo = claimSwitch(d, "charge stop");
  const sentAt = Date.now();
  const before = d.statusCount;
  let r: StopResult | undefined;
  try {
    r = await d.command<StopResult>({ type: "chargeStop", stop: { lineId: 1, userId: userId ?? d.settings.user_id } }, "stop", "ChargeStopResponse");
  } catch (err) {
    // Some units stop without answering 0x0008 (spec G6): their status may still prove the stop.
    if (!(err instanceof ReplyTimeoutError)) throw err;
  }
  if (r && r.failReason !== 0) {
    undo();
    throw new CommandError(`charge stop refused (failReason ${r.failReason})`);
  }
  d.send({ type: "sessionRequest" });
  const verifyS = d.settings.stop_verify_s;
  const check = await confirmStopped(d, before, sentAt + verifyS * 1000);
  if (!check.stopped) {
    // The output never went off, so nothing switched: a retry must not wait out the cooldown.
    undo();
    const acked = r ? "the charger acknowledged the stop" : `no ChargeStopResponse within ${d.settings.reply_timeout_s} s`;
    const shows = check.last ? `its status still shows ${describeStatus(check.last)}` : "no status datagram arrived";
    throw new CommandError(`${acked}, but ${verifyS} s later ${shows} (off means no session and at most ${STOPPED_POWER_W} W): energy may still flow`);
  }
  const took = Math.round((Date.now() - sentAt) / 100) / 10;
  return { stopped: true, stop_result: r ? r.stopResult : null, ...(r ? {} : { stop_response: "none" }), confirmed_by: "status", power_w: computedPowerW(check.status), took_s: took };
}

async function setNumber(d: EvseCharger, setting: NumericSetting, value: number, what: string): Promise<number> {
  const got = await d.command<number>({ type: "setting", setting, action: ACTION_SET, value }, `${setting}:1`, `${what} answer`);
  if (got !== value) throw new CommandError(`the charger kept ${what} ${got} instead of ${value}`);
  return got;
}

async function setMaxCurrent(d: EvseCharger, amps: number, clampedFrom?: number): Promise<unknown> {
  d.requireSession();
  const v = await setNumber(d, "maxCurrent", amps, "max current");
  d.publish();
  // Telestar units only use it for the next start; others apply it live (§5.10): never promise live.
  return { max_current_a: v, ...(clampedFrom !== undefined && { clamped_from: clampedFrom }), applies_to: "next session (live only on units that honour it)" };
}

/** /set describes a wanted state: already there means no relay switching at all. */
async function switchCharging(d: EvseCharger, on: boolean): Promise<unknown> {
  const active = sessionActive(d.view);
  if (on && active) return { already: "charging or reserved" };
  if (!on && active === false) return { already: "not charging" };
  return on ? chargeStart(d, {}) : chargeStop(d, undefined);
}

export async function runSet(d: EvseCharger, cmd: SetCommand): Promise<unknown> {
  // First: an "already …" answer from a status of an earlier session (or of a spoofer) would be a lie.
  d.requireSession();
  const out: Record<string, unknown> = {};
  // Checked before anything is sent. A stop goes first, so a slow or failing setting cannot hold it up;
  // a start goes last, so the new current applies to it.
  const limit = cmd.current_limit_a === undefined ? undefined : pickAmps(cmd.current_limit_a, ampsCap(d), "current_limit_a");
  if (cmd.enabled === false) out.enabled = await switchCharging(d, false);
  if (limit) out.current_limit = await setMaxCurrent(d, limit.amps, limit.clamped_from);
  if (cmd.enabled === true) out.enabled = await switchCharging(d, true);
  return out;
}

function parseArgs<A extends RequestAction>(action: A, args: Record<string, unknown>): z.output<(typeof REQUEST_ACTIONS)[A]> {
  const r = REQUEST_ACTIONS[action].safeParse(args);
  if (!r.success) throw new CommandError(`invalid args for ${action}: ${formatZodError(r.error)}`);
  return r.data as z.output<(typeof REQUEST_ACTIONS)[A]>;
}

export async function runRequest(d: EvseCharger, action: string, args: Record<string, unknown>): Promise<unknown> {
  switch (action) {
    case "charge_start":
      return chargeStart(d, parseArgs(action, args));
    case "charge_stop":
      return chargeStop(d, parseArgs(action, args).user_id);
    case "set_max_current": {
      const { amps } = parseArgs(action, args);
      const cap = ampsCap(d);
      if (amps < MIN_AMPS || amps > cap) throw new CommandError(`out of range: amps must be ${MIN_AMPS}..${cap}`);
      return setMaxCurrent(d, amps);
    }
    case "set_name": {
      const { name } = parseArgs(action, args);
      const got = await d.command<string>({ type: "name", action: ACTION_SET, name }, "name:1", "name answer");
      if (got !== name) throw new CommandError(`the charger kept the name "${got}" instead of "${name}"`);
      return { name: got };
    }
    case "set_language": {
      const { language } = parseArgs(action, args);
      const code = typeof language === "number" ? language : LANGUAGES.indexOf(language) + 1;
      return { language: languageName(await setNumber(d, "language", code, "language")) };
    }
    case "set_temperature_unit": {
      const { unit } = parseArgs(action, args);
      await setNumber(d, "temperatureUnit", unit === "celsius" ? 1 : 2, "temperature unit");
      return { temperature_unit: unit };
    }
    case "set_offline_charge": {
      const { enabled } = parseArgs(action, args);
      const got = await d.command<number>({ type: "setting", setting: "offlineCharge", action: ACTION_SET, value: enabled ? 0 : 1 }, "offlineCharge:1", "offline-charge answer");
      // 1 and 2 both mean disabled (G12).
      if ((got === 0) !== enabled) throw new CommandError(`the charger kept offline charging ${got === 0 ? "enabled" : "disabled"}`);
      return { offline_charge: enabled };
    }
    case "fetch_config":
      parseArgs(action, args);
      return fetchConfig(d);
    case "login":
      return d.login(parseArgs(action, args).password, Date.now());
    default:
      throw new CommandError(`unknown action "${action}"; known: ${Object.keys(REQUEST_ACTIONS).join(", ")}`);
  }
}
