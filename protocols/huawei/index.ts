// Huawei FusionCharge DC power unit, dispenser side. Only the config schema is loaded up front; the
// dialer, the GOOSE code and the simulator are imported when they are started.
import { PARSE_ONCE } from "../../lib/config-fields.ts";
import type { ProtocolPlugin } from "../../lib/protocol.ts";
import { huaweiConfigSchema } from "./config.ts";

const SIMULATE_HELP = `usage: evse2mqtt simulate huawei [options]
  --listen HOST:PORT   where the simulated PSU listens for dispensers (default 127.0.0.1:8502)
  --tls DIR            TLS with psu.crt.pem and psu.key.pem from DIR; with dispenser_ca.crt.pem
                       there too, a client certificate signed by it is required (mTLS)
  --cycle-s N          seconds between the PSU's write/read cycles (default 5, as the mock;
                       the capabilities come on the third cycle)
  --goose IFACE        answer GOOSE power requests on this Ethernet interface (Linux, root or
                       CAP_NET_RAW); without it the PSU speaks Modbus only`;

/** The PSU `--demo` starts, and the [[huawei]] table it sets for the bridge to dial it. */
export const DEMO_PORT = 8502;
const DEMO_UNIT = {
  name: "psu_demo",
  host: "127.0.0.1",
  port: DEMO_PORT,
  telemetry_prefix: "huawei",
  connectors: [{ global_connector_number: 1, max_export_current_a: 100, max_export_power_w: 30000 }],
};

export const huaweiPlugin: ProtocolPlugin = {
  name: "huawei",
  summary: "Huawei FusionCharge DC power unit, dispenser side (Modbus TCP/TLS to the PSU, port 502)",
  simulateHelp: SIMULATE_HELP,
  configSchema: huaweiConfigSchema,
  enabledByDefault: false,
  arraySection: "units",
  demoFlags: [`huawei.units=${JSON.stringify([DEMO_UNIT])}`],
  async actionList() {
    const [{ huaweiActions }, { describeActions }] = await Promise.all([import("./actions.ts"), import("../../lib/actions.ts")]);
    return describeActions(huaweiActions);
  },
  async start(ctx, section) {
    const { startHuawei } = await import("./dialer.ts");
    return startHuawei(ctx, huaweiConfigSchema.parse(section, PARSE_ONCE));
  },
  async simulate(args, log) {
    const { simulatePsu } = await import("./sim/run.ts");
    return simulatePsu(args, log);
  },
  /** A simulated PSU where the demo unit (or the first unit on loopback) dials. */
  async demo(section, log) {
    const cfg = huaweiConfigSchema.parse(section, PARSE_ONCE);
    const u = cfg.units.find((x) => x.host === "127.0.0.1" || x.host === "localhost") ?? DEMO_UNIT;
    const { demoPsu } = await import("./sim/run.ts");
    return demoPsu(`${u.host}:${u.port}`, log);
  },
};
