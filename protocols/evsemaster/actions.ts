// The `/request` actions of an EVSEMaster charger: one table (lib/actions.ts) that validates the
// arguments, runs the handler with a narrow context, and tells Home Assistant which need none.
// Starts, stops and currents go through charge.ts and with it the charger's one guard.

import { action, type ActionTable, noArgs } from "../../lib/actions.ts";
import { CommandError } from "../../lib/errors.ts";
import type { ActionContext } from "./context.ts";
import { chargeStart, chargeStop, currentFor, setMaxCurrent } from "./charge.ts";
import { ACTION_SET, LANGUAGES, languageName, type NumericSetting } from "./enums.ts";
import { MIN_AMPS } from "./limits.ts";
import {
  chargeStartArgs, chargeStopArgs, loginArgs, setLanguageArgs, setMaxCurrentArgs, setNameArgs, setOfflineChargeArgs, setTemperatureUnitArgs,
} from "./messages.ts";

async function setNumber(ctx: ActionContext, setting: NumericSetting, value: number, what: string): Promise<number> {
  const m = await ctx.session.request({ type: "setting", setting, action: ACTION_SET, value }, `${setting}:1`, `${what} answer`);
  const got = m?.type === "setting" ? m.value : undefined;
  if (got !== value) throw new CommandError(`the charger kept ${what} ${got ?? "unknown"} instead of ${value}`);
  return got;
}

export const evsemasterActions: ActionTable<ActionContext> = {
  charge_start: action("start charging now or at start_at (max_amps lowered to the charger's limit)", chargeStartArgs, (a, ctx) => chargeStart(ctx, a)),
  charge_stop: action("stop charging (or cancel a planned start); answered once a status shows the output off", chargeStopArgs, (a, ctx) => chargeStop(ctx, a.user_id)),
  set_name: action("set the name stored in the charger", setNameArgs, async (a, ctx) => {
    const m = await ctx.session.request({ type: "name", action: ACTION_SET, name: a.name }, "name:1", "name answer");
    const got = m?.type === "name" ? m.name : undefined;
    if (got !== a.name) throw new CommandError(`the charger kept the name "${got ?? ""}" instead of "${a.name}"`);
    return { name: got };
  }),
  set_language: action("set the display language", setLanguageArgs, async (a, ctx) => {
    const code = typeof a.language === "number" ? a.language : LANGUAGES.indexOf(a.language) + 1;
    return { language: languageName(await setNumber(ctx, "language", code, "language")) };
  }),
  set_temperature_unit: action("set °C or °F", setTemperatureUnitArgs, async (a, ctx) => {
    await setNumber(ctx, "temperatureUnit", a.unit === "celsius" ? 1 : 2, "temperature unit");
    return { temperature_unit: a.unit };
  }),
  set_offline_charge: action("allow charging without the app", setOfflineChargeArgs, async (a, ctx) => {
    const m = await ctx.session.request({ type: "setting", setting: "offlineCharge", action: ACTION_SET, value: a.enabled ? 0 : 1 }, "offlineCharge:1", "offline-charge answer");
    const got = m?.type === "setting" ? m.value : undefined;
    // 1 and 2 both mean disabled (G12).
    if (got === undefined || (got === 0) !== a.enabled) throw new CommandError(`the charger kept offline charging ${got === 0 ? "enabled" : "disabled"}`);
    return { offline_charge: a.enabled };
  }),
  set_max_current: action("set the charger's max current (out of range is refused, not clamped)", setMaxCurrentArgs, (a, ctx) => {
    const d = currentFor(ctx, a.amps, "amps");
    if (d.clamped_from !== undefined) throw new CommandError(`out of range: amps must be ${MIN_AMPS}..${ctx.guard.maxA}`);
    return setMaxCurrent(ctx, d.amps);
  }),
  fetch_config: action("read every setting and the version now", noArgs, async (_a, ctx) => {
    const f = await ctx.session.fetchConfig();
    const doc = await ctx.configFetched(f);
    return { config: doc.config, info: doc.info, missing: f.missing };
  }),
  login: action("log in again, optionally with a PIN (kept only when the charger accepts it)", loginArgs, (a, ctx) => ctx.session.logIn(a.password)),
};
