// The configuration fetch after login, every config_refresh_s, and on the `fetch_config` request (§4.1 step 6).

import { CommandError } from "../../lib/errors.ts";
import type { EvseCharger } from "./driver.ts";
import { ACTION_GET } from "./enums.ts";
import { detail } from "./view.ts";

/** GET every setting plus the version; answers land in view.config whenever they arrive. */
export async function fetchConfig(d: EvseCharger): Promise<Record<string, unknown>> {
  d.requireSession();
  // Config GETs get a little more time than commands (§4.3: 6–8 s by default).
  const t = d.settings.reply_timeout_s + 2;
  const asks: [string, Promise<unknown>][] = [
    ["max_current_a", d.command({ type: "setting", setting: "maxCurrent", action: ACTION_GET, value: 0 }, "maxCurrent:2", "max-current answer", t)],
    ["name", d.command({ type: "name", action: ACTION_GET, name: "" }, "name:2", "name answer", t)],
    ["language", d.command({ type: "setting", setting: "language", action: ACTION_GET, value: 0 }, "language:2", "language answer", t)],
    ["offline_charge", d.command({ type: "setting", setting: "offlineCharge", action: ACTION_GET, value: 0 }, "offlineCharge:2", "offline-charge answer", t)],
    ["temperature_unit", d.command({ type: "setting", setting: "temperatureUnit", action: ACTION_GET, value: 0 }, "temperatureUnit:2", "temperature-unit answer", t)],
    ["version", d.command({ type: "getVersion" }, "version", "version answer", t)],
  ];
  const results = await Promise.allSettled(asks.map(([, p]) => p));
  const missing = asks.filter((_, i) => results[i]!.status === "rejected").map(([k]) => k);
  if (missing.length === asks.length) throw new CommandError(`timeout: the charger answered none of the config requests within ${t} s`);
  d.view.config.fetchedAt = new Date().toISOString();
  d.publish();
  const doc = detail(d.view);
  return { config: doc.config, info: doc.info, missing };
}
