import { dirname, resolve } from "node:path";
import type { Config } from "./config.ts";
import type { EmbeddedBroker } from "./embedded-broker.ts";
import { errorMessage } from "./errors.ts";
import { serveBridgeRequests } from "./bridge-requests.ts";
import { Hub } from "./hub.ts";
import { type IdleCollector, startIdleCollector } from "./idle-gc.ts";
import type { Logger } from "./log.ts";
import { MqttLink } from "./mqtt.ts";
import { redactUrl } from "./redact.ts";
import type { ProtocolPlugin, Running } from "./protocol.ts";
import { runtimeName } from "./runtime.ts";
import { VERSION } from "./version.ts";
import type { WebServer } from "./web/server.ts";

/**
 * How long the protocols wait for the first broker connection before starting anyway. Loading and
 * starting them takes tens of milliseconds of the one JavaScript thread; done after the connect,
 * the bridge is `online` that much sooner, and a broker that is away delays chargers only this long.
 */
const BROKER_HEAD_START_MS = 500;

export interface RunningBridge {
  hub: Hub;
  mqtt: MqttLink;
  /** The status page, when `[web] listen` is set. */
  web: WebServer | undefined;
  stop(): Promise<void>;
}

/** Broker (if embedded), MQTT link, hub, then every enabled protocol. */
export async function startBridge(config: Config, plugins: ProtocolPlugin[], log: Logger, opts: { demo?: boolean } = {}): Promise<RunningBridge> {
  let broker: EmbeddedBroker | undefined;
  let url = config.mqtt.url;
  if (url === "embedded") {
    const { username, password } = config.mqtt;
    // aedes (and the Node streams it brings) costs ~15 MiB and start-up time: loaded only when asked for.
    const { startEmbeddedBroker } = await import("./embedded-broker.ts");
    broker = await startEmbeddedBroker(config.mqtt.embedded_bind, config.mqtt.embedded_port, log, username && password ? { username, password } : undefined);
    url = `mqtt://127.0.0.1:${broker.port}`;
  }
  const enabled = plugins.filter((p) => config.protocols[p.name]?.enabled);
  const startedAt = new Date().toISOString();
  const infoDoc = { version: VERSION, runtime: runtimeName(), protocols: enabled.map((p) => p.name), started_at: startedAt };
  const info = JSON.stringify(infoDoc);
  const mqtt = new MqttLink({ ...config.mqtt, url }, log.child({ part: "mqtt" }), () => ({ info }));
  // Awaited only up to the head start: chargers are served and events queued while the broker is away.
  const headStart = mqtt.start(BROKER_HEAD_START_MS).catch(() => undefined);
  const hub = new Hub(
    mqtt,
    {
      base_topic: config.mqtt.base_topic,
      republish_s: config.bridge.republish_s,
      discovery: config.homeassistant.discovery,
      discovery_prefix: config.homeassistant.prefix,
    },
    log.child({ part: "hub" }),
  );
  hub.start();
  serveBridgeRequests(mqtt, config.mqtt.base_topic, { hub, info: () => infoDoc }, log.child({ part: "bridge" }));
  const stateDir = resolve(config.bridge.state_dir ?? dirname(resolve(config.file)));
  const running: { name: string; r: Running }[] = [];
  const demos: Running[] = [];
  let web: WebServer | undefined;
  let collector: IdleCollector | undefined;
  const stop = async () => {
    collector?.stop();
    await web?.close();
    for (const d of demos) await d.stop().catch(() => {});
    for (const { name, r } of running.reverse()) {
      await r.stop().catch((err) => log.warn("protocol stop failed", { protocol: name, error: errorMessage(err) }));
    }
    await hub.stop();
    await mqtt.close();
    await broker?.close();
  };
  try {
    await headStart;
    if (config.web.listen) {
      const { startWeb } = await import("./web/server.ts");
      const facts = { version: VERSION, runtime: runtimeName(), protocols: enabled.map((p) => p.name), startedAt: Date.parse(startedAt) };
      web = await startWeb({ hub, mqtt, settings: config.web, queueLimit: config.mqtt.queue_limit, facts, log: log.child({ part: "web" }) });
    }
    for (const p of enabled) {
      running.push({ name: p.name, r: await p.start({ log: log.child({ protocol: p.name }), mqtt, hub, baseTopic: config.mqtt.base_topic, stateDir }, config.protocols[p.name]) });
    }
    // MQTT publishes are the bridge's work: every charger event and command answer ends in one.
    collector = await startIdleCollector(() => mqtt.published, log.child({ part: "memory" }));
    if (opts.demo) {
      for (const p of enabled) demos.push(await p.demo(config.protocols[p.name], log.child({ simulator: p.name })));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  log.info("evse2mqtt running", { version: VERSION, runtime: runtimeName(), protocols: enabled.map((p) => p.name).join(",") || "none", mqtt: redactUrl(url) });
  return { hub, mqtt, web, stop };
}
