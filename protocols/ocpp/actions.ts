// The one OCPP action table: every CS-initiated 1.6 action by its OCPP name (snake_case works too,
// as ocpp2mqtt spells them) and `charging_enabled`. `/request` and the compatible `cmd` topics
// both run it, so both pass the same validation, limits and guard.
import { z } from "zod";
import { type Action, type ActionTable, action, argumentless, dispatch, noArgs } from "../../lib/actions.ts";
import type { Logger } from "../../lib/log.ts";
import { camelToSnake, convertKeys, resolveAction, snakeToCamel } from "./commands.ts";
import type { Control } from "./control.ts";
import type { Call } from "./current-limit.ts";
import { InvalidArgsError, UnknownActionError } from "./errors.ts";
import { parseOnOff } from "./policy.ts";
import { type Clamp, guardProfiles } from "./profile-guard.ts";
import { CS_INITIATED, CS_REQUEST, type CsAction, type CsRequest, validate } from "./schemas.ts";

/** What an action runs against: the device the command came to. */
export interface ActionContext {
  /** 0 for `<id>` (the whole charger), n for `<id>_<n>`. */
  connectorId: number;
  control: Control;
  call: Call;
  maxPowerW: number;
  setChargingEnabled(on: boolean): void;
  log: Logger;
}

type Prepare = (payload: Record<string, unknown>, ctx: ActionContext) => { payload: Record<string, unknown>; clamped: Clamp[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * A CS-initiated action: arguments checked with the 1.6 schema (failures carry the 1.6 error code,
 * nothing is sent), then `handler` with the validated request (default: send it as it is).
 */
function csAction<A extends CsAction>(name: A, summary: string, handler?: (req: CsRequest<A>, ctx: ActionContext) => Promise<Record<string, unknown>>, prepare?: Prepare): Action<ActionContext> {
  return {
    summary,
    args: CS_INITIATED[name].request,
    run: async (raw, ctx) => {
      const given = raw ?? {};
      const prepared = prepare && isRecord(given) ? prepare(given, ctx) : { payload: given, clamped: [] };
      const v = validate(CS_REQUEST[name], prepared.payload);
      if (!v.ok) throw new InvalidArgsError(v.code, `invalid ${name} arguments: ${v.message}`);
      if (prepared.clamped.length > 0) ctx.log.warn("charging profile limits clamped", { action: name, clamped: prepared.clamped });
      const result = handler ? await handler(v.value, ctx) : await ctx.call(name, v.value);
      return prepared.clamped.length > 0 ? { ...result, clamped: prepared.clamped } : result;
    },
  };
}

const clampProfiles: (action: string) => Prepare = (action) => (payload, ctx) => guardProfiles(action, payload, { guard: ctx.control.guard(ctx.connectorId), maxPowerW: ctx.maxPowerW });

export const ocppActions: ActionTable<ActionContext> = {
  RemoteStartTransaction: csAction("RemoteStartTransaction", "start a transaction (switch rate limit; its charging profile is clamped like current_limit_a)", (req, ctx) => ctx.control.remoteStart(req), clampProfiles("RemoteStartTransaction")),
  RemoteStopTransaction: csAction("RemoteStopTransaction", "stop a transaction by id (switch rate limit when the bridge sees it running)", (req, ctx) => ctx.control.remoteStop(req)),
  ChangeAvailability: csAction("ChangeAvailability", "make a connector (0: the charger) Operative or Inoperative, as sent (switch rate limit; nothing sent when it already is)", (req, ctx) => ctx.control.changeAvailability(req)),
  ChangeConfiguration: csAction("ChangeConfiguration", "set a configuration key"),
  GetConfiguration: csAction("GetConfiguration", "read configuration keys (all without `key`)"),
  Reset: csAction("Reset", "reboot the charger (Soft or Hard)"),
  UnlockConnector: csAction("UnlockConnector", "unlock a connector"),
  TriggerMessage: csAction("TriggerMessage", "ask the charger to send a message now"),
  SetChargingProfile: csAction("SetChargingProfile", "install a charging profile (limits clamped like current_limit_a; the bridge's own ids refused)", (req, ctx) => ctx.control.setProfile(req), clampProfiles("SetChargingProfile")),
  ClearChargingProfile: csAction("ClearChargingProfile", "remove charging profiles (refused when it would remove the bridge's own)", (req, ctx) => ctx.control.clearProfiles(req)),
  GetCompositeSchedule: csAction("GetCompositeSchedule", "read the schedule in force"),
  ClearCache: csAction("ClearCache", "clear the authorization cache"),
  DataTransfer: csAction("DataTransfer", "vendor-specific message"),
  ReserveNow: csAction("ReserveNow", "reserve a connector for an idTag"),
  CancelReservation: csAction("CancelReservation", "cancel a reservation"),
  GetLocalListVersion: csAction("GetLocalListVersion", "read the local authorization list version"),
  SendLocalList: csAction("SendLocalList", "replace or update the local authorization list"),
  UpdateFirmware: csAction("UpdateFirmware", "download and install firmware from a URL"),
  GetDiagnostics: csAction("GetDiagnostics", "upload diagnostics to a URL"),
  charging_enabled: {
    summary: "ocpp2mqtt's switch: Authorize/StartTransaction answered Accepted (ON) or Blocked (OFF)",
    args: z.object({ value: z.unknown().optional() }).strict(),
    run: async (raw, ctx, name) => {
      const parsed = z.object({ value: z.unknown().optional() }).strict().safeParse(raw ?? {});
      if (!parsed.success) throw new InvalidArgsError("FormationViolation", `invalid args for ${name}: expected {"value": ON or OFF}`);
      const on = parseOnOff(parsed.data.value);
      ctx.setChargingEnabled(on);
      return { charging_enabled: on };
    },
  },
  // Without arguments, so Home Assistant can offer them as buttons.
  soft_reset: action("reboot the charger gently (Reset Soft)", noArgs, (_a, ctx: ActionContext) => ctx.call("Reset", { type: "Soft" })),
  trigger_status: action("ask for a StatusNotification now", noArgs, (_a, ctx: ActionContext) => ctx.call("TriggerMessage", { requestedMessage: "StatusNotification", ...connectorOf(ctx) })),
  trigger_meter_values: action("ask for MeterValues now", noArgs, (_a, ctx: ActionContext) => ctx.call("TriggerMessage", { requestedMessage: "MeterValues", ...connectorOf(ctx) })),
};

/** `<id>` asks the whole charger (every connector reports), `<id>_<n>` its connector. */
function connectorOf(ctx: ActionContext): { connectorId?: number } {
  return ctx.connectorId >= 2 ? { connectorId: ctx.connectorId } : {};
}

/** The table's argumentless actions: the buttons of the capabilities (Home Assistant). */
export const OCPP_BUTTONS: string[] = argumentless(ocppActions);

/** An action name as given (`Reset`, `reset`, `get_local_version`) → its table entry and whether it was spelt snake_case. */
export function resolveName(name: string): { key: string; snake: boolean } {
  if (Object.hasOwn(ocppActions, name)) return { key: name, snake: false };
  const r = resolveAction(name);
  if (r) return { key: r.action, snake: r.snake };
  // The name is not echoed: a command's text may carry a secret and refusals end up in logs.
  throw new UnknownActionError(`unknown OCPP 1.6 action; expected one of ${Object.keys(ocppActions).join(", ")} (or their snake_case names)`);
}

/** Runs an action by any of its names; snake_case arguments are converted, and the result comes back in the caller's spelling when `snakeResult` is unset. */
export async function runAction(name: string, args: unknown, ctx: ActionContext, snakeResult?: boolean): Promise<unknown> {
  const { key, snake } = resolveName(name);
  const result = await dispatch(ocppActions, key, snake ? convertKeys(args ?? {}, snakeToCamel) : args, ctx);
  return (snakeResult ?? snake) ? convertKeys(result, camelToSnake) : result;
}
