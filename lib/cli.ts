import { parseArgs } from "node:util";
import { startBridge } from "./bridge.ts";
import { loadConfig, maskSecrets, type Config } from "./config.ts";
import { ConfigError, errorMessage } from "./errors.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "./log.ts";
import type { ProtocolPlugin } from "./protocol.ts";
import { onShutdownSignal, setJitPolicy } from "./runtime.ts";
import { VERSION } from "./version.ts";

/** The longest a shutdown may take (systemd's TimeoutStopSec in contrib/ is above it). */
export const SHUTDOWN_BOUND_MS = 5000;

const OPTIONS = {
  config: { type: "string", short: "c" },
  "mqtt-url": { type: "string" },
  "base-topic": { type: "string" },
  "log-level": { type: "string" },
  "log-json": { type: "boolean" },
  set: { type: "string", multiple: true },
  demo: { type: "boolean" },
  version: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

function usage(plugins: ProtocolPlugin[]): string {
  return `evse2mqtt ${VERSION}: EV chargers' native protocols ⇄ MQTT JSON

Usage:
  evse2mqtt [run] [options]            run the bridge (default)
  evse2mqtt check-config [options]     validate the config and print it, secrets masked
  evse2mqtt simulate <protocol> [...]  fake chargers (see: evse2mqtt simulate <protocol> --help)
  evse2mqtt --demo                     embedded broker + one simulated charger per protocol,
                                       status page on http://127.0.0.1:8080/

Options:
  -c, --config FILE        TOML config (default ./evse2mqtt.toml; a missing default file is fine)
      --mqtt-url URL       same as --set mqtt.url=URL ("embedded" runs a broker inside)
      --base-topic T       same as --set mqtt.base_topic=T
      --log-level L        ${LOG_LEVELS.join(" | ")}
      --log-json           one JSON object per log line
      --set SECTION.KEY=V  override any config key (repeatable)
      --demo               embedded broker, simulators for every protocol, status page
  -v, --version            print the version
  -h, --help               this text

Precedence: flags > environment (EVSE2MQTT_<SECTION>_<KEY>) > file > defaults.

Protocols:
${plugins.map((p) => `  ${p.name.padEnd(12)} ${p.summary}`).join("\n")}
`;
}

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]["type"] extends "boolean" ? boolean : string };

function configFrom(values: Values, plugins: ProtocolPlugin[], env: Record<string, string | undefined>): Config {
  const flags = [...(values.set ?? [])];
  if (values["mqtt-url"]) flags.push(`mqtt.url=${values["mqtt-url"]}`);
  if (values["base-topic"]) flags.push(`mqtt.base_topic=${values["base-topic"]}`);
  if (values["log-level"]) flags.push(`log.level=${values["log-level"]}`);
  if (values["log-json"]) flags.push("log.json=true");
  if (values.demo) {
    flags.unshift("mqtt.url=embedded", "web.listen=127.0.0.1:8080");
    for (const p of plugins) flags.push(`${p.name}.enabled=true`, ...(p.demoFlags ?? []));
  }
  return loadConfig(plugins, {
    file: values.config ?? "./evse2mqtt.toml",
    fileRequired: values.config !== undefined,
    env,
    flags,
  });
}

/** Returns the process exit code; `run` resolves only after a shutdown signal. */
export async function main(argv: string[], plugins: ProtocolPlugin[], env: Record<string, string | undefined>): Promise<number> {
  const command = argv[0] && !argv[0].startsWith("-") ? argv[0] : "run";
  const rest = command === argv[0] ? argv.slice(1) : argv;
  if (command === "simulate") return simulate(rest, plugins);
  let values: Values;
  try {
    values = parseArgs({ args: rest, options: OPTIONS, allowPositionals: false, strict: true }).values as Values;
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n\n${usage(plugins)}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage(plugins));
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command !== "run" && command !== "check-config") {
    process.stderr.write(`unknown command "${command}"\n\n${usage(plugins)}`);
    return 2;
  }
  let config: Config;
  try {
    config = configFrom(values, plugins, env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `config: ${errorMessage(err)}`}\n`);
    return 1;
  }
  if (command === "check-config") {
    const { file, fileFound, ...effective } = config;
    process.stdout.write(`# ${fileFound ? `file ${file}` : `no file at ${file}; defaults, environment and flags only`}\n`);
    process.stdout.write(JSON.stringify(maskSecrets(effective), null, 2) + "\n");
    return 0;
  }
  const log = createLogger({ level: config.log.level, json: config.log.json });
  if (!config.fileFound) log.info("no config file; using defaults, environment and flags", { file: config.file });
  // Listened for before start-up, so a SIGTERM that arrives while protocols start is not lost.
  let signalled: string | undefined;
  let onSignal: (sig: string) => void = (sig) => void (signalled = sig);
  onShutdownSignal((sig) => onSignal(sig));
  let bridge;
  try {
    bridge = await startBridge(config, plugins, log, { demo: values.demo ?? false });
  } catch (err) {
    log.error("cannot start", { error: errorMessage(err) });
    return 1;
  }
  // Start-up ran with a reluctant JIT (main.ts, the binary's build flags); running wants the normal one.
  setJitPolicy(1);
  if (values.demo) {
    const page = bridge.web ? `; status page on ${bridge.web.url}` : "";
    log.info(`demo: watch with  mosquitto_sub -h 127.0.0.1 -p ${config.mqtt.embedded_port} -t '#' -v${page}`);
  }
  const running = bridge;
  await new Promise<void>((resolve) => {
    const shutdown = (sig: string) => {
      log.info("shutting down", { signal: sig });
      // Bounded whatever the broker and the chargers do, so a service manager never needs SIGKILL.
      const t = setTimeout(() => {
        log.warn("shutdown took too long; exiting anyway", { limit_ms: SHUTDOWN_BOUND_MS });
        resolve();
      }, SHUTDOWN_BOUND_MS);
      running.stop().then(
        () => {
          clearTimeout(t);
          resolve();
        },
        (err) => {
          clearTimeout(t);
          log.error("shutdown error", { error: errorMessage(err) });
          resolve();
        },
      );
    };
    if (signalled !== undefined) shutdown(signalled);
    else onSignal = shutdown;
  });
  return 0;
}

function isLogLevel(v: string | undefined): v is LogLevel {
  return LOG_LEVELS.some((l) => l === v);
}

const isHelp = (a: string) => a === "--help" || a === "-h";

async function simulate(args: string[], plugins: ProtocolPlugin[]): Promise<number> {
  const name = args[0];
  const plugin = plugins.find((p) => p.name === name);
  if (!plugin) {
    const list = plugins.map((p) => p.name).join(", ");
    if (name !== undefined && isHelp(name)) {
      process.stdout.write(`usage: evse2mqtt simulate <protocol> [options] [--log-level L]\nprotocols: ${list}\nevse2mqtt simulate <protocol> --help for its options\n`);
      return 0;
    }
    process.stderr.write(`simulate: expected a protocol (${list}), got "${name ?? ""}"\n`);
    return 2;
  }
  if (args.slice(1).some(isHelp)) {
    process.stdout.write(`${plugin.simulateHelp ?? `usage: evse2mqtt simulate ${plugin.name}`}\n  --log-level L        ${LOG_LEVELS.join(" | ")} (default info)\n`);
    return 0;
  }
  let level: LogLevel = "info";
  const pass: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a !== "--log-level") {
      pass.push(a);
      continue;
    }
    const v = args[++i];
    if (!isLogLevel(v)) {
      process.stderr.write(`simulate ${name}: --log-level expects one of ${LOG_LEVELS.join(", ")}, got "${v ?? ""}"\n`);
      return 2;
    }
    level = v;
  }
  const log = createLogger({ level, json: false });
  let sim;
  try {
    sim = await plugin.simulate(pass, log);
  } catch (err) {
    process.stderr.write(`simulate ${name}: ${errorMessage(err)}\n`);
    return 2;
  }
  setJitPolicy(1);
  const running = sim;
  await new Promise<void>((resolve) => onShutdownSignal(() => void running.stop().then(resolve, resolve)));
  return 0;
}
