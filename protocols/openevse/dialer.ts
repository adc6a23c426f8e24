// One device per configured controller, each with a dialer that opens its serial device or TCP
// bridge and opens it again with back-off when it goes away (USB unplugged, ser2net restarted).
import { keepDialing, type Dialer } from "../../lib/dialer.ts";
import type { BridgeContext, Running } from "../../lib/protocol.ts";
import { divertType, resolvedBaseTopics, type OpenEvseConfig } from "./config.ts";
import { OpenEvseDevice } from "./device.ts";
import { describePort, openPort, parsePort } from "./port.ts";

export interface OpenEvseRunning extends Running {
  device(name: string): OpenEvseDevice | undefined;
}

/** Reopening starts at this and doubles up to the maximum. */
const BACKOFF = { minMs: 1000, maxMs: 30_000 };

export async function startOpenEvse(ctx: BridgeContext, cfg: OpenEvseConfig): Promise<OpenEvseRunning> {
  if (cfg.controllers.length === 0) throw new Error("openevse: no controller configured; add a [[openevse]] table with name and port");
  const bases = resolvedBaseTopics(cfg.controllers);
  const devices = new Map<string, OpenEvseDevice>();
  const dialers: Dialer[] = [];
  cfg.controllers.forEach((c, i) => {
    const port = parsePort(c.port);
    if (!port.ok) throw new Error(`openevse[${i}].port: ${port.error}`);
    const log = ctx.log.child({ charger: c.name });
    const compatBase = bases[i] ?? `openevse-${c.name}`;
    const device = new OpenEvseDevice({ cfg: c, compatBase, hub: ctx.hub, mqtt: ctx.mqtt, mqttBase: ctx.baseTopic, log: ctx.log });
    devices.set(c.name, device);
    device.start();
    const inputs = divertType(c) === "grid" ? c.grid_ie_topic : c.solar_topic;
    if (c.divert_mode === 2 && inputs === undefined) log.warn("divert starts in eco mode but no grid_ie_topic or solar_topic is configured: charging waits for a surplus that never comes");
    log.info("openevse controller configured", { port: describePort(port.value), compat_base: c.compatible ? compatBase : "off" });
    dialers.push(
      keepDialing(() => openPort(port.value), (link) => device.run(link), {
        backoff: BACKOFF,
        log,
        what: `openevse ${c.name} (${describePort(port.value)})`,
      }),
    );
  });
  return {
    device: (name) => devices.get(name),
    stop: async () => {
      await Promise.all(dialers.map((d) => d.stop()));
      for (const d of devices.values()) await d.stop();
    },
  };
}
