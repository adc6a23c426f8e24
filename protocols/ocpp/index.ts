/** OCPP 1.6J central system (spec /work/shared/specs/ocpp.md), as the bridge sees it. */
import type { ProtocolPlugin } from "../../lib/protocol.ts";
import { parseHostPort } from "../../lib/link.ts";
import { startCentralSystem } from "./central.ts";
import { ocppSectionSchema } from "./config.ts";
import { ocppEnvAliases } from "./env-aliases.ts";
import { parseSimulateArgs, SIMULATE_USAGE, startFleet } from "./sim-cli.ts";

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
  start: (ctx, section) => startCentralSystem(ctx, ocppSectionSchema.parse(section)),
  simulate: (args, log) => startFleet(parseSimulateArgs(args), log),
  demo: (section, log) => {
    const cfg = ocppSectionSchema.parse(section);
    const { port } = parseHostPort(cfg.listen, 9000);
    const scheme = cfg.tls_cert && cfg.tls_key ? "wss" : "ws";
    const prefix = cfg.path_prefix.replace(/^\/+|\/+$/g, "");
    // Aim at an identity the configured bridge will let in.
    const identity = cfg.allowed[0] ?? Object.keys(cfg.chargers)[0] ?? "DEMO1";
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
