// `evse2mqtt simulate ocpp …` and `--demo`: fleets of simulated charge points.
import { readFileSync } from "node:fs";
import { errorMessage } from "../../../lib/errors.ts";
import type { Logger } from "../../../lib/log.ts";
import type { Running } from "../../../lib/protocol.ts";
import type { FleetOptions } from "./args.ts";
import { SimulatedChargePoint } from "./charge-point.ts";

export async function startFleet(o: FleetOptions, log: Logger): Promise<Running> {
  const ca = o.ca ? readFileSync(o.ca, "utf8") : undefined;
  const sims: SimulatedChargePoint[] = [];
  const base = o.connect.replace(/\/+$/, "");
  const identities = o.identities ?? Array.from({ length: o.count }, (_, i) => `${o.prefix}${i + 1}`);
  for (const identity of identities) {
    const slog = log.child({ charger: identity });
    const sim = new SimulatedChargePoint({
      url: `${base}/${encodeURIComponent(identity)}`,
      identity,
      password: o.password,
      ca,
      connectors: o.connectors,
      meterIntervalMs: o.intervalS * 1000,
      autoCycle: { plugAfterMs: o.plugAfterS * 1000, chargeMs: o.chargeForS * 1000, idleMs: o.plugAfterS * 1000 },
      ignoreProfiles: o.ignoreProfiles ?? false,
      log: slog,
    });
    sim.link.onClose = (code) => slog.warn("simulated charge point disconnected", { code });
    try {
      await sim.start();
      slog.info("simulated charge point booted", { url: `${base}/${identity}`, heartbeat_s: sim.bootInterval });
    } catch (err) {
      sim.stop();
      for (const s of sims) s.stop();
      throw new Error(`simulated charge point ${identity} could not connect to ${base}: ${errorMessage(err)}`);
    }
    sims.push(sim);
  }
  return {
    stop: async () => {
      for (const s of sims) s.stop();
    },
  };
}
