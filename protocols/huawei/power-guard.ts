// The check every power request passes before the connector machine sees it. The PSU's own
// capabilities, capped by the configured maxima (spec §9), bound voltage, current and power; a
// request outside them is refused whole and nothing is sent. The library would clamp (and even
// raise a value below the minimum); a bridge commanding a high-voltage supply from MQTT refuses
// instead, so the sender learns its number was not used. Starts are rate-limited per connector.
import { CommandError } from "../../lib/errors.ts";
import { ChargeGuard } from "../../lib/guard.ts";
import type { Limits } from "./connector.ts";

export type PowerLimits = Limits & { maxPowerW: number };

export interface PowerAsk {
  voltage_v: number;
  current_a: number;
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/** Throws a CommandError naming the first bound `ask` breaks; `limits` undefined = not known yet. */
export function checkPower(ask: PowerAsk, limits: PowerLimits | undefined, connector: number): void {
  if (!limits) throw new CommandError(`connector ${connector}: the PSU has not sent its capabilities yet (they come a few seconds after the link is READY); nothing sent`);
  const { voltage_v: v, current_a: i } = ask;
  const refuse = (why: string) => {
    throw new CommandError(`connector ${connector}: ${why}; nothing sent`);
  };
  if (!Number.isFinite(v) || !Number.isFinite(i)) refuse(`voltage_v and current_a must be finite numbers`);
  if (v > limits.maxVoltage) refuse(`voltage_v ${fmt(v)} V exceeds the PSU's maximum ${fmt(limits.maxVoltage)} V`);
  if (v < limits.minVoltage) refuse(`voltage_v ${fmt(v)} V is below the PSU's minimum ${fmt(limits.minVoltage)} V`);
  if (i > limits.maxCurrent) refuse(`current_a ${fmt(i)} A exceeds the maximum ${fmt(limits.maxCurrent)} A (PSU capability and max_export_current_a)`);
  if (i < limits.minCurrent) refuse(`current_a ${fmt(i)} A is below the PSU's minimum ${fmt(limits.minCurrent)} A`);
  if (v * i > limits.maxPowerW) refuse(`${fmt(v)} V × ${fmt(i)} A = ${fmt(v * i)} W exceeds the maximum ${fmt(limits.maxPowerW)} W (PSU rating and max_export_power_w)`);
}

/** Only the switching half of ChargeGuard is used: a DC request carries volts and amps, checked above. */
export function startGuard(switchIntervalMs: number, now?: () => number): ChargeGuard {
  return new ChargeGuard({ minA: 0, maxA: Number.POSITIVE_INFINITY, switchIntervalMs, stopAlwaysAllowed: true, ...(now ? { now } : {}) });
}
