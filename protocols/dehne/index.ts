import { parseArgs } from "node:util";
import type { Logger } from "../../lib/log.ts";
import type { ProtocolPlugin, Running } from "../../lib/protocol.ts";
import { parseHostPort } from "../../lib/link.ts";
import { DehneBridge } from "./bridge.ts";
import { dehneConfigSchema } from "./config.ts";
import { SimulatedDehne, simSerial } from "./simulator.ts";

const SIMULATE_HELP = `usage: evse2mqtt simulate dehne [options]
  --connect HOST:PORT  the bridge's Dehne listener (default 127.0.0.1:9091)
  --count N            number of simulated chargers (default 1)
  --firmware N         firmware version the chargers report, 0–255 (default 4; below 3: legacy layout)
  --no-car             no car plugs in (by default one comes and goes)`;

/** Simulators with a car that comes and goes, so automations see the whole cycle. */
async function startSimulators(target: string, count: number, firmware: number, car: boolean, log: Logger): Promise<Running> {
  const sims = Array.from({ length: count }, (_, i) => new SimulatedDehne({ target: parseHostPort(target), serial: simSerial(i + 1), firmware, log }));
  const timers: ReturnType<typeof setTimeout>[] = [];
  const cycle = (s: SimulatedDehne) => {
    const wait = (s.carPlugged ? 60_000 + Math.random() * 120_000 : 3_000 + Math.random() * 12_000) | 0;
    timers.push(setTimeout(() => {
      void (s.carPlugged ? s.unplug() : s.plugIn()).then(() => {
        log.info(`simulated car ${s.carPlugged ? "plugged in" : "unplugged"}`, { serial: s.serial });
        cycle(s);
      });
    }, wait));
  };
  for (const s of sims) {
    await s.start();
    if (car) cycle(s);
  }
  log.info("dehne simulators running", { count, target, firmware });
  return {
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all(sims.map((s) => s.stop()));
    },
  };
}

export const dehnePlugin: ProtocolPlugin = {
  name: "dehne",
  summary: "Dehne-EVSE binary protocol (chargers connect in over TCP, port 9091)",
  simulateHelp: SIMULATE_HELP,
  configSchema: dehneConfigSchema,
  enabledByDefault: true,
  async start(ctx, section) {
    const bridge = new DehneBridge(ctx, dehneConfigSchema.parse(section));
    await bridge.start();
    return bridge;
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
    return startSimulators(values.connect, count, firmware, !values["no-car"], log);
  },
  async demo(section, log) {
    const cfg = dehneConfigSchema.parse(section);
    const { port } = parseHostPort(cfg.listen, 9091);
    return startSimulators(`127.0.0.1:${port}`, 1, 4, true, log);
  },
};
