// The options of `evse2mqtt simulate ocpp`, parsed without loading the simulator.
import { parseArgs } from "node:util";

export const SIMULATE_USAGE = `usage: evse2mqtt simulate ocpp --connect ws://HOST:PORT/PATH [options]
  --connect URL       central system URL; each charge point appends /<identity>
  --count N           number of charge points (default 1)
  --prefix NAME       identity prefix (default SIM); identities are NAME1, NAME2, …
  --password PW       HTTP Basic password (security profile 1/2)
  --ca FILE           CA certificate to trust for wss://
  --connectors N      connectors per charge point (default 1)
  --interval S        MeterValues interval in seconds (default 5)
  --plug-after S      seconds until the simulated car plugs in (default 3)
  --charge-for S      seconds of charging per session (default 60)
  --ignore-profiles   a stubborn charger: accepts charging profiles, keeps charging at full current`;

export interface FleetOptions {
  connect: string;
  count: number;
  prefix: string;
  password?: string | undefined;
  ca?: string | undefined;
  connectors: number;
  intervalS: number;
  plugAfterS: number;
  chargeForS: number;
  ignoreProfiles?: boolean;
  /** Explicit identities instead of prefix + number. */
  identities?: string[];
}

export function parseSimulateArgs(args: string[]): FleetOptions {
  const { values } = parseArgs({
    args,
    options: {
      connect: { type: "string" },
      count: { type: "string", default: "1" },
      prefix: { type: "string", default: "SIM" },
      password: { type: "string" },
      ca: { type: "string" },
      connectors: { type: "string", default: "1" },
      interval: { type: "string", default: "5" },
      "plug-after": { type: "string", default: "3" },
      "charge-for": { type: "string", default: "60" },
      "ignore-profiles": { type: "boolean", default: false },
    },
    strict: true,
  });
  if (!values.connect || !/^wss?:\/\//.test(values.connect)) throw new Error(`--connect ws://HOST:PORT/PATH is required\n${SIMULATE_USAGE}`);
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${v}"`);
    return n;
  };
  return {
    connect: values.connect,
    count: Math.floor(num("count", values.count, 1)),
    prefix: values.prefix,
    password: values.password,
    ca: values.ca,
    connectors: Math.floor(num("connectors", values.connectors, 1)),
    intervalS: num("interval", values.interval, 0.1),
    plugAfterS: num("plug-after", values["plug-after"], 0),
    chargeForS: num("charge-for", values["charge-for"], 0.1),
    ignoreProfiles: values["ignore-profiles"],
  };
}

