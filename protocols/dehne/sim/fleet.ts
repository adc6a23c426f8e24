// `evse2mqtt simulate dehne` and `--demo`: simulated chargers with a car that comes and goes, so
// automations see the whole cycle.
import { parseHostPort } from "../../../lib/link.ts";
import type { Logger } from "../../../lib/log.ts";
import type { Running } from "../../../lib/protocol.ts";
import { SimulatedDehne, simSerial } from "./charger.ts";

export async function startFleet(target: string, count: number, firmware: number, car: boolean, log: Logger): Promise<Running> {
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
