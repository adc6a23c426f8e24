// EVSEMaster (Besen, Telestar, Morec, … over UDP 28376) as a bridge protocol plugin. Only the config
// schema is loaded up front; the listener and the simulator are imported when they are started, so
// a bridge without EVSEMaster never loads them.

import type { Logger } from "../../lib/log.ts";
import { PARSE_ONCE } from "../../lib/config-fields.ts";
import type { BridgeContext, ProtocolPlugin, Running } from "../../lib/protocol.ts";
import { evsemasterSchema } from "./config.ts";

/** The PIN the demo chargers accept when the demo config names none (the OEM factory default). */
export const DEMO_PASSWORD = "123456";
export const DEMO_SERIAL = "8800000000000001";

const SIMULATE_HELP = `evse2mqtt simulate evsemaster [options]
  --count N           chargers to simulate (default 1)
  --model M           telestar | bs20 | mixed (default mixed)
  --password PIN      6-digit PIN the chargers accept (default 123456)
  --serial HEX        first serial, 16 hex digits (default 8800000000000001)
  --target HOST:PORT  where beacons go (default 255.255.255.255:28376)
  --bind ADDR         local address for the chargers' sockets (default 0.0.0.0)
  --beacon-s S        beacon interval (default 5)
  --unplugged         start without a car plugged in
  --car-max-a A       what the car draws at most (default 16)
  --time-zone TZ      charger clock zone (default: this host's)`;

export const evsemasterPlugin: ProtocolPlugin = {
  name: "evsemaster",
  summary: "EVSEMaster-app chargers (Besen, Telestar, Morec, …) over UDP",
  simulateHelp: SIMULATE_HELP,
  configSchema: evsemasterSchema,
  enabledByDefault: false,
  // The demo chargers are new serials on loopback: they get the shared PIN only with discover_login.
  demoFlags: [`evsemaster.default_password=${DEMO_PASSWORD}`, "evsemaster.discover_login=true"],

  async actionList() {
    const [{ evsemasterActions }, { describeActions }] = await Promise.all([import("./actions.ts"), import("../../lib/actions.ts")]);
    return describeActions(evsemasterActions);
  },
  async start(ctx: BridgeContext, section: unknown): Promise<Running> {
    const { startEvsemaster } = await import("./listener.ts");
    return startEvsemaster(ctx, evsemasterSchema.parse(section, PARSE_ONCE));
  },

  async simulate(args: string[], log: Logger): Promise<Running> {
    const { simulate } = await import("./sim/fleet.ts");
    return simulate(args, log);
  },

  /**
   * Two chargers (a Telestar-like single-phase and a BS20-like three-phase unit) beaconing to the
   * bridge's port on 127.0.0.1. Serials: the first configured chargers, else 8800000000000001/2.
   * PIN: the first configured charger password, else default_password, else 123456.
   */
  async demo(section: unknown, log: Logger): Promise<Running> {
    const cfg = evsemasterSchema.parse(section, PARSE_ONCE);
    const password = cfg.charger.find((c) => c.password)?.password ?? cfg.default_password ?? DEMO_PASSWORD;
    const first = cfg.charger[0]?.serial ?? DEMO_SERIAL;
    const { DEFAULT_FLEET, startFleet } = await import("./sim/fleet.ts");
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
