// OpenEVSE controllers over RAPI as the bridge sees them. Only the config schema is loaded up
// front; the dialer and the simulator are imported when started, so a bridge without OpenEVSE
// never loads them.
import { formatHostPort } from "../../lib/link.ts";
import { PARSE_ONCE } from "../../lib/config-fields.ts";
import type { ProtocolPlugin } from "../../lib/protocol.ts";
import { openevseConfigSchema } from "./config.ts";
import { parsePort } from "./port.ts";

/** Where `--demo` puts its simulated controller (and where the bridge finds it). */
const DEMO_PORT = "tcp://127.0.0.1:8023";

const SIMULATE_HELP = `usage: evse2mqtt simulate openevse [--listen HOST:PORT | --pty [--link PATH]] [options]
  --listen HOST:PORT   serve RAPI on TCP (the bridge's port = "tcp://HOST:PORT"; default 127.0.0.1:8023)
  --pty                create a pseudo-terminal (socat, else python3) and print the device path to open
  --link PATH          where the pty appears (default: a path in the temp directory)
  --firmware TEXT      firmware version in $GV/$AB (default 8.2.3)
  --rapi X.Y.Z         RAPI protocol version (default 5.2.1)
  --max-current A      configured maximum current (default 32)
  --eu                 EU build: 230 V, no service-level auto detection
  --no-car             no car comes and goes by itself
  --nk CODE            answer $NK to every command CODE (e.g. GP; repeatable)
  --silent CODE        never answer command CODE (repeatable)`;

export const openevsePlugin: ProtocolPlugin = {
  name: "openevse",
  summary: "OpenEVSE controllers over RAPI (serial device or tcp:// serial bridge), with the OpenEVSE WiFi MQTT API",
  simulateHelp: SIMULATE_HELP,
  configSchema: openevseConfigSchema,
  arraySection: "controllers",
  enabledByDefault: false,
  demoFlags: [`openevse.controllers=[{"name":"openevse-demo","port":"${DEMO_PORT}"}]`],
  async actionList() {
    const [{ openevseActions }, { describeActions }] = await Promise.all([import("./actions.ts"), import("../../lib/actions.ts")]);
    return describeActions(openevseActions);
  },
  async start(ctx, section) {
    const { startOpenEvse } = await import("./dialer.ts");
    return startOpenEvse(ctx, openevseConfigSchema.parse(section, PARSE_ONCE));
  },
  async simulate(args, log) {
    const { parseSimArgs, startSimulator } = await import("./sim/cli.ts");
    return startSimulator(parseSimArgs(args), log);
  },
  async demo(section, log) {
    const cfg = openevseConfigSchema.parse(section, PARSE_ONCE);
    const first = cfg.controllers[0];
    const port = first ? parsePort(first.port) : undefined;
    const { startSimulator } = await import("./sim/cli.ts");
    if (port?.ok && port.value.kind === "serial") {
      return startSimulator({ pty: true, link: port.value.path, eu: true, car: true, nk: [], silent: [] }, log);
    }
    const listen = port?.ok && port.value.kind === "tcp" ? formatHostPort(port.value.host, port.value.port) : DEMO_PORT.slice("tcp://".length);
    return startSimulator({ listen, pty: false, eu: true, car: true, nk: [], silent: [] }, log);
  },
};
