// `evse2mqtt simulate evsemaster`: a fleet of fake EVSEMaster chargers for testing without hardware.

import { parseArgs } from "node:util";
import { errorMessage } from "../../../lib/errors.ts";
import { parseHostPort } from "../../../lib/link.ts";
import type { Logger } from "../../../lib/log.ts";
import type { Running } from "../../../lib/protocol.ts";
import { systemTimeZone, validateTimeZone } from "../emtime.ts";
import { SimCharger, type SimOptions } from "./charger.ts";
import { MODELS } from "./model.ts";

/** One charger's options for the whole fleet; `serial` is the first, the others count up from it. */
export interface FleetOptions extends Omit<SimOptions, "model" | "log"> {
  count: number;
  /** "telestar", "bs20" or "mixed" (alternating). */
  model: string;
}

export const DEFAULT_FLEET: FleetOptions = {
  count: 1,
  model: "mixed",
  password: "123456",
  serial: "8800000000000001",
  target: { address: "255.255.255.255", port: 28376 },
  bind: "0.0.0.0",
  beaconMs: 5000,
  headingMs: 10_000,
  statusMs: 5000,
  appTimeoutMs: 30_000,
  timeZone: systemTimeZone(),
  plugged: true,
  carMaxA: 16,
};

const MAX_SERIAL = 0xffff_ffff_ffff_ffffn;

/** The n-th serial after `first`; throws when it no longer fits the 16 hex digits of the header (§2.2). */
export function nthSerial(first: string, n: number): string {
  const v = BigInt(`0x${first}`) + BigInt(n);
  if (v > MAX_SERIAL) throw new Error(`serial ${first} + ${n} overflows 16 hex digits: choose a lower --serial or a smaller --count`);
  return v.toString(16).padStart(16, "0");
}

export async function startFleet(o: FleetOptions, log: Logger): Promise<{ chargers: SimCharger[]; running: Running }> {
  const chargers: SimCharger[] = [];
  const stopAll = async () => void (await Promise.all(chargers.map((c) => c.stop())));
  try {
    for (let i = 0; i < o.count; i++) {
      const name = o.model === "mixed" ? (i % 2 === 0 ? "telestar" : "bs20") : o.model;
      const model = MODELS[name];
      if (!model) throw new Error(`unknown model "${name}" (known: ${Object.keys(MODELS).join(", ")}, mixed)`);
      const c = new SimCharger({ ...o, serial: nthSerial(o.serial, i), model, log });
      await c.start();
      chargers.push(c);
      log.info("simulated EVSEMaster charger", { serial: c.opts.serial, model: name, port: c.port, target: `${o.target.address}:${o.target.port}` });
    }
  } catch (err) {
    // The ones already running would keep beaconing (and hold sockets) with nobody to stop them.
    await stopAll();
    throw err;
  }
  return { chargers, running: { stop: stopAll } };
}

export async function simulate(args: string[], log: Logger): Promise<Running> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      count: { type: "string" },
      model: { type: "string" },
      password: { type: "string" },
      serial: { type: "string" },
      target: { type: "string" },
      bind: { type: "string" },
      "beacon-s": { type: "string" },
      unplugged: { type: "boolean" },
      "car-max-a": { type: "string" },
      "time-zone": { type: "string" },
    },
  });
  const num = (v: string | undefined, d: number, what: string): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what} expects a positive number, got "${v}"`);
    return n;
  };
  const password = values.password ?? DEFAULT_FLEET.password;
  if (!/^\d{6}$/.test(password)) throw new Error("--password expects 6 digits");
  const serial = values.serial ?? DEFAULT_FLEET.serial;
  if (!/^[0-9a-fA-F]{16}$/.test(serial)) throw new Error("--serial expects 16 hex digits");
  const count = Math.floor(num(values.count, 1, "count"));
  // Checked here, not in a timer later: a bad value must end the command with a clear message.
  try {
    nthSerial(serial, count - 1);
  } catch (err) {
    throw new Error(`--serial/--count: ${errorMessage(err)}`);
  }
  const timeZone = values["time-zone"] ?? DEFAULT_FLEET.timeZone;
  try {
    validateTimeZone(timeZone);
  } catch {
    throw new Error(`--time-zone expects an IANA time zone such as Europe/Amsterdam, got "${timeZone}"`);
  }
  const target = values.target ? parseHostPort(values.target, 28376) : { host: DEFAULT_FLEET.target.address, port: DEFAULT_FLEET.target.port };
  const { running } = await startFleet(
    {
      ...DEFAULT_FLEET,
      count,
      model: values.model ?? DEFAULT_FLEET.model,
      password,
      serial: serial.toLowerCase(),
      target: { address: target.host, port: target.port },
      bind: values.bind ?? DEFAULT_FLEET.bind,
      beaconMs: num(values["beacon-s"], 5, "beacon-s") * 1000,
      plugged: !values.unplugged,
      carMaxA: num(values["car-max-a"], 16, "car-max-a"),
      timeZone,
    },
    log,
  );
  return running;
}
