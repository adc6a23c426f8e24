// A hub and an MQTT link that is never started (publishes wait in the offline queue, as while a
// broker is away), with the status page app over them; chargers whose /set goes through a real
// ChargeGuard. For handler tests that call the app directly with `new Request(...)`.
import { CommandError } from "../../../lib/errors.ts";
import { ChargeGuard } from "../../../lib/guard.ts";
import { Hub } from "../../../lib/hub.ts";
import { createLogger, type Logger } from "../../../lib/log.ts";
import { MqttLink } from "../../../lib/mqtt.ts";
import type { ChargerDriver, ChargerHandle } from "../../../lib/protocol.ts";
import { createWebApp, type WebApp } from "../../../lib/web/app.ts";
import { webSection } from "../../../lib/web/config.ts";
import type { FeedOptions } from "../../../lib/web/feed.ts";

export interface Rig {
  hub: Hub;
  mqtt: MqttLink;
  app: WebApp;
  logLines: string[];
  call(path: string, init?: RequestInit): Promise<Response>;
}

export function rig(web: Record<string, unknown> = {}, feed: Partial<FeedOptions> = {}, queueLimit = 100): Rig {
  const logLines: string[] = [];
  const log: Logger = createLogger({ level: "debug", json: false, write: (l) => void logLines.push(l) });
  const mqtt = new MqttLink(
    { url: "mqtt://127.0.0.1:1", client_id: "webtest", reject_unauthorized: true, base_topic: "webtest", queue_limit: queueLimit, keepalive_s: 10, reconnect_min_s: 1, reconnect_max_s: 1 },
    log,
    () => ({ info: "{}" }),
  );
  const hub = new Hub(mqtt, { base_topic: "webtest", republish_s: 0, discovery: false, discovery_prefix: "homeassistant" }, log);
  const settings = webSection.parse({ listen: "127.0.0.1:0", ...web });
  const app = createWebApp({ hub, mqtt, settings, queueLimit, facts: { version: "9.9.9", runtime: "test", protocols: ["dehne", "ocpp"], startedAt: Date.now() - 65_000 }, log, feed });
  return {
    hub,
    mqtt,
    app,
    logLines,
    call: async (path, init) => app.handler(new Request(`http://127.0.0.1:8080${path}`, init), { remoteAddress: "127.0.0.1" }),
  };
}

/** A charger whose /set is checked by a real guard (6–16 A, 30 s between switches), counting what reached it. */
export function guarded(): ChargerDriver & { reached: number; enabled: boolean | undefined } {
  const guard = new ChargeGuard({ minA: 6, maxA: 16, switchIntervalMs: 30_000 });
  const d: ChargerDriver & { reached: number; enabled: boolean | undefined } = {
    reached: 0,
    enabled: undefined,
    set: async (cmd) => {
      d.reached++;
      const out: Record<string, unknown> = {};
      if (cmd.current_limit_a !== undefined) {
        const c = guard.current(cmd.current_limit_a);
        out.current_limit_a = c.amps;
        if (c.clamped_from !== undefined) out.clamped_from = c.clamped_from;
      }
      if (cmd.enabled !== undefined) {
        guard.switching(cmd.enabled, d.enabled, "enabled");
        d.enabled = cmd.enabled;
        out.enabled = cmd.enabled;
      }
      return out;
    },
    request: async (action) => {
      throw new CommandError(`no action "${action}"`);
    },
  };
  return d;
}

export async function charging(handle: ChargerHandle, powerW: number): Promise<void> {
  await handle.update({ status: "charging", enabled: true, current_limit_a: 16, power_w: powerW, energy_session_wh: 1234, energy_total_wh: 98765, voltage_v: [230, 231, null], current_a: [16, 15.5, null], last_seen: new Date().toISOString() });
}

export const basic = (user: string, pass: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`, "utf8").toString("base64")}` });
