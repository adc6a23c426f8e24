// `evse2mqtt simulate huawei` and the `--demo` PSU: one simulated power unit that dispensers
// (the bridge) connect to.
import { parseArgs } from "node:util";
import { parseHostPort } from "../../../lib/link.ts";
import type { Logger } from "../../../lib/log.ts";
import type { Running } from "../../../lib/protocol.ts";
import { readTlsFolder, SimulatedPsu } from "./psu.ts";

export async function simulatePsu(args: string[], log: Logger): Promise<Running> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string", default: "127.0.0.1:8502" },
      tls: { type: "string" },
      "cycle-s": { type: "string", default: "5" },
      goose: { type: "string" },
    },
    strict: true,
  });
  const cycle = Number(values["cycle-s"]);
  if (!Number.isFinite(cycle) || cycle < 0.05 || cycle > 3600) throw new Error(`--cycle-s must be a number of seconds from 0.05 to 3600, got "${values["cycle-s"]}"`);
  const sim = new SimulatedPsu({
    listen: parseHostPort(values.listen),
    tls: values.tls === undefined ? undefined : readTlsFolder(values.tls),
    cycleMs: cycle * 1000,
    ...(values.goose === undefined ? {} : { gooseInterface: values.goose }),
    log,
  });
  await sim.start();
  return { stop: () => sim.dispose() };
}

export async function demoPsu(listen: string, log: Logger): Promise<Running> {
  const sim = new SimulatedPsu({ listen: parseHostPort(listen), cycleMs: 5000, log });
  await sim.start();
  return { stop: () => sim.dispose() };
}
