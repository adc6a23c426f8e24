// EVSEMaster (Besen, Telestar, Morec, … over UDP 28376) as a bridge protocol plugin.

import type { Logger } from "../../lib/log.ts";
import type { BridgeContext, ProtocolPlugin, Running } from "../../lib/protocol.ts";
import { startBridge } from "./bridge.ts";
import { evsemasterSchema } from "./config.ts";
import { DEFAULT_FLEET, SIMULATE_HELP, simulate, startFleet } from "./simulator.ts";

/** The PIN the demo chargers accept when the demo config names none (the OEM factory default). */
export const DEMO_PASSWORD = "123456";
export const DEMO_SERIAL = "8800000000000001";

export const evsemasterPlugin: ProtocolPlugin = {
  name: "evsemaster",
  summary: "EVSEMaster-app chargers (Besen, Telestar, Morec, …) over UDP",
  simulateHelp: SIMULATE_HELP,
  configSchema: evsemasterSchema,
  enabledByDefault: false,
  demoFlags: [`evsemaster.default_password=${DEMO_PASSWORD}`],

  start(ctx: BridgeContext, section: unknown): Promise<Running> {
    return startBridge(ctx, evsemasterSchema.parse(section));
  },

  simulate(args: string[], log: Logger): Promise<Running> {
    return simulate(args, log);
  },

  /**
   * Two chargers (a Telestar-like single-phase and a BS20-like three-phase unit) beaconing to the
   * bridge's port on 127.0.0.1. Serials: the first configured chargers, else 8800000000000001/2.
   * PIN: the first configured charger password, else default_password, else 123456.
   */
  async demo(section: unknown, log: Logger): Promise<Running> {
    const cfg = evsemasterSchema.parse(section);
    const password = cfg.charger.find((c) => c.password)?.password ?? cfg.default_password ?? DEMO_PASSWORD;
    const first = cfg.charger[0]?.serial ?? DEMO_SERIAL;
    const { running } = await startFleet(
      {
        ...DEFAULT_FLEET,
        count: 2,
        model: "mixed",
        password,
        serial: first,
        target: { address: "127.0.0.1", port: cfg.port },
        bind: "127.0.0.1",
        beaconMs: 1000,
        timeZone: cfg.time_zone,
      },
      log,
    );
    return running;
  },
};
