// The configuration fetch after login, every config_refresh_s, and on the `fetch_config` request
// (§4.1 step 6): one GET per setting plus the version, all at once.

import { CommandError } from "../../lib/errors.ts";
import type { AppMessage, EvseMessage } from "./codec.ts";
import { ACTION_GET, type NumericSetting } from "./enums.ts";

/** What the fetch needs of a session: keyed requests. */
export interface ConfigRequester {
  request(m: AppMessage, key: string, what: string, timeoutMs?: number): Promise<EvseMessage | undefined>;
}

export interface ConfigFetch {
  /** The answers, to be filed like any datagram. */
  replies: EvseMessage[];
  /** Detail-document names of the settings that got no answer in time. */
  missing: string[];
  /** ISO time the fetch completed. */
  at: string;
}

const get = (setting: NumericSetting): AppMessage => ({ type: "setting", setting, action: ACTION_GET, value: 0 });

/** Config GETs get a little more time than commands (§4.3: 6–8 s by default). */
export async function fetchConfig(s: ConfigRequester, replyTimeoutMs: number, now: () => number): Promise<ConfigFetch> {
  const t = replyTimeoutMs + 2000;
  const asks: [string, Promise<EvseMessage | undefined>][] = [
    ["max_current_a", s.request(get("maxCurrent"), "maxCurrent:2", "max-current answer", t)],
    ["name", s.request({ type: "name", action: ACTION_GET, name: "" }, "name:2", "name answer", t)],
    ["language", s.request(get("language"), "language:2", "language answer", t)],
    ["offline_charge", s.request(get("offlineCharge"), "offlineCharge:2", "offline-charge answer", t)],
    ["temperature_unit", s.request(get("temperatureUnit"), "temperatureUnit:2", "temperature-unit answer", t)],
    ["version", s.request({ type: "getVersion" }, "version", "version answer", t)],
  ];
  const results = await Promise.allSettled(asks.map(([, p]) => p));
  const replies: EvseMessage[] = [];
  const missing: string[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled" && r.value) replies.push(r.value);
    else missing.push(asks[i]?.[0] ?? "?");
  });
  if (missing.length === asks.length) throw new CommandError(`timeout: the charger answered none of the config requests within ${t / 1000} s`);
  return { replies, missing, at: new Date(now()).toISOString() };
}
