// Dehne-EVSE as the bridge sees it. Only the config schema is loaded up front; the listener and the
// simulator are imported when they are started, so a bridge without Dehne never loads them.
import { parseArgs } from "node:util";
import { parseHostPort } from "../../lib/link.ts";
import { PARSE_ONCE } from "../../lib/config-fields.ts";
import type { ProtocolPlugin } from "../../lib/protocol.ts";
import { dehneConfigSchema } from "./config.ts";

const SIMULATE_HELP = `usage: evse2mqtt simulate dehne [options]
  --connect HOST:PORT  the bridge's Dehne listener (default 127.0.0.1:9091)
  --count N            number of simulated chargers (default 1)
  --firmware N         firmware version the chargers report, 0–255 (default 4; below 3: legacy layout)
  --no-car             no car plugs in (by default one comes and goes)`;

export const dehnePlugin: ProtocolPlugin = {
  name: "dehne",
  summary: "Dehne-EVSE binary protocol (chargers connect in over TCP, port 9091)",
  simulateHelp: SIMULATE_HELP,
  configSchema: dehneConfigSchema,
  enabledByDefault: true,
  async actionList() {
    const [{ dehneActions }, { describeActions }] = await Promise.all([import("./actions.ts"), import("../../lib/actions.ts")]);
    return describeActions(dehneActions);
  },
  async start(ctx, section) {
    const { startDehne } = await import("./listener.ts");
    return startDehne(ctx, dehneConfigSchema.parse(section, PARSE_ONCE));
  },
  async simulate(args, log) {
    const { values } = parseArgs({
      args,
      options: {
        connect: { type: "string", default: "127.0.0.1:9091" },
        count: { type: "string", default: "1" },
        firmware: { type: "string", default: "4" },
        "no-car": { type: "boolean", default: false },
      },
      strict: true,
    });
    const count = Number(values.count);
    const firmware = Number(values.firmware);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got "${values.count}"`);
    if (!Number.isInteger(firmware) || firmware < 0 || firmware > 255) throw new Error(`--firmware must be 0–255, got "${values.firmware}"`);
    const { startFleet } = await import("./sim/fleet.ts");
    return startFleet(values.connect, count, firmware, !values["no-car"], log);
  },
  async demo(section, log) {
    const cfg = dehneConfigSchema.parse(section, PARSE_ONCE);
    const { port } = parseHostPort(cfg.listen, 9091);
    const { startFleet } = await import("./sim/fleet.ts");
    return startFleet(`127.0.0.1:${port}`, 1, 4, true, log);
  },
};
