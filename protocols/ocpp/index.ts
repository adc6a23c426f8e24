// OCPP 1.6J central system (spec /work/shared/specs/ocpp.md) as the bridge sees it. Only the
// config schema and the option parsing are loaded up front; the listener and the simulator are
// imported when they are started, so a bridge without OCPP never loads them.
import { parseHostPort } from "../../lib/link.ts";
import { PARSE_ONCE } from "../../lib/config-fields.ts";
import type { ProtocolPlugin } from "../../lib/protocol.ts";
import { ocppSectionSchema } from "./config.ts";
import { ocppEnvAliases } from "./env-aliases.ts";
import { parseSimulateArgs, SIMULATE_USAGE } from "./sim/args.ts";

export { ocppEnvAliases } from "./env-aliases.ts";
export { ocppSectionSchema, type OcppSection } from "./config.ts";

const OCPP2MQTT_MARKERS = ["MQTT_BASEPATH", "MQTT_USESTATIONNAME", "AUTHORIZED_TAG_ID_LIST", "EXPECTED_CHARGE_POINTS", "LISTEN_PORT", "LISTEN_ADDR"];

export const ocppPlugin: ProtocolPlugin = {
  name: "ocpp",
  summary: "OCPP 1.6J central system (WebSocket server); ocpp2mqtt-compatible topics",
  simulateHelp: SIMULATE_USAGE,
  configSchema: ocppSectionSchema,
  enabledByDefault: false,
  // Generic names such as LOG_LEVEL or MQTT_PORT only count when the environment is clearly an ocpp2mqtt one.
  envAliases: (env, problems) => (OCPP2MQTT_MARKERS.some((k) => env[k] !== undefined) ? { ...ocppEnvAliases(env, problems) } : {}),
  async actionList() {
    const [{ ocppActions }, { describeActions }] = await Promise.all([import("./actions.ts"), import("../../lib/actions.ts")]);
    return describeActions(ocppActions);
  },
  async start(ctx, section) {
    const { startOcpp } = await import("./listener.ts");
    return startOcpp(ctx, ocppSectionSchema.parse(section, PARSE_ONCE));
  },
  async simulate(args, log) {
    const options = parseSimulateArgs(args);
    const { startFleet } = await import("./sim/fleet.ts");
    return startFleet(options, log);
  },
  async demo(section, log) {
    const cfg = ocppSectionSchema.parse(section, PARSE_ONCE);
    const { port } = parseHostPort(cfg.listen, 9000);
    const scheme = cfg.tls_cert && cfg.tls_key ? "wss" : "ws";
    const prefix = cfg.path_prefix.replace(/^\/+|\/+$/g, "");
    // Aim at an identity the configured bridge will let in.
    const identity = cfg.allowed[0] ?? Object.keys(cfg.chargers)[0] ?? "DEMO1";
    const { startFleet } = await import("./sim/fleet.ts");
    return startFleet(
      {
        connect: `${scheme}://127.0.0.1:${port}${prefix ? "/" + prefix : ""}`,
        count: 1,
        prefix: "",
        identities: [identity],
        password: cfg.chargers[identity]?.password,
        connectors: 1,
        intervalS: 5,
        plugAfterS: 2,
        chargeForS: 120,
      },
      log,
    );
  },
};
