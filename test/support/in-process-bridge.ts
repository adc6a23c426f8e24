import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hub } from "../../lib/hub.ts";
import { createLogger, type LogLevel } from "../../lib/log.ts";
import { MqttLink } from "../../lib/mqtt.ts";
import type { ProtocolPlugin, Running } from "../../lib/protocol.ts";

export interface InProcessBridge {
  mqtt: MqttLink;
  hub: Hub;
  running: Running;
  base: string;
  stop(): Promise<void>;
}

/**
 * One protocol wired to a real broker exactly as the bridge does it, in this process, so tests
 * can drive it without spawning the CLI. `section` is the protocol's raw config section.
 */
export async function startInProcess(
  plugin: ProtocolPlugin,
  brokerUrl: string,
  section: Record<string, unknown>,
  opts: { base?: string; republish_s?: number; logLevel?: LogLevel; stateDir?: string; logLines?: string[]; discovery?: boolean } = {},
): Promise<InProcessBridge> {
  const lines = opts.logLines;
  const log = createLogger({
    level: opts.logLevel ?? (process.env.TEST_LOG as LogLevel | undefined) ?? (lines ? "info" : "silent"),
    json: false,
    ...(lines ? { write: (l: string) => void lines.push(l) } : {}),
  });
  const base = opts.base ?? `t${Math.random().toString(16).slice(2, 8)}`;
  const mqtt = new MqttLink(
    {
      url: brokerUrl,
      client_id: `bridge-${base}`,
      reject_unauthorized: true,
      base_topic: base,
      queue_limit: 1000,
      keepalive_s: 10,
      reconnect_min_s: 0.2,
      reconnect_max_s: 1,
    },
    log,
    () => ({ info: JSON.stringify({ version: "test" }) }),
  );
  await mqtt.start(5000);
  const hub = new Hub(mqtt, { base_topic: base, republish_s: opts.republish_s ?? 0, discovery: opts.discovery ?? false, discovery_prefix: "homeassistant" }, log);
  hub.start();
  const parsed = plugin.configSchema.parse({ enabled: true, ...section });
  const running = await plugin.start({ log, mqtt, hub, baseTopic: base, stateDir: opts.stateDir ?? mkdtempSync(join(tmpdir(), "evse2mqtt-state-")) }, parsed);
  // The hub's and the protocol's subscriptions in place: a test's first command cannot overtake them.
  await mqtt.subscribed();
  return {
    mqtt,
    hub,
    running,
    base,
    stop: async () => {
      await running.stop();
      await hub.stop();
      await mqtt.close();
    },
  };
}
