// `[[openevse]]`: one table per controller. Validated up front so a typo in a topic, a port or a
// current never reaches a running bridge; cross-field rules name the entry and the key.
import { z } from "zod";
import { checkInputTopic } from "./input-topic.ts";
import { parsePort } from "./port.ts";

const topicField = z.string().superRefine((t, ctx) => {
  const r = checkInputTopic(t);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
});

const baseTopic = z.string().min(1).regex(/^[^#+\s]+$/, "an MQTT topic without wildcards or spaces").refine((t) => !t.startsWith("/") && !t.endsWith("/"), "no leading or trailing /");

const amps = (what: string) => z.number().int(`${what} must be whole amps`).min(6, "IEC 61851 pilots start at 6 A").max(80, "OpenEVSE pilots end at 80 A");

export const controllerSchema = z
  .object({
    /** The normalized id: `<mqtt.base_topic>/<name>`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,48}$/, "1–48 letters, digits, - or _ (it becomes a topic segment)")
      .refine((n) => n !== "bridge", '"bridge" is the bridge\'s own topic (<base>/bridge/…)'),
    /** A serial device (`/dev/ttyUSB0`, `COM3`) or `tcp://host:port` (ser2net, ESP-link). */
    port: z.string().superRefine((p, ctx) => {
      const r = parsePort(p);
      if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
    }),
    /** The compatible layout's base; default "openevse" for the first entry, "openevse-<name>" for the others. */
    base_topic: baseTopic.optional(),
    compatible: z.boolean().default(true),
    /** Announce topic of the compatible layout; default `openevse/announce/<name>`. */
    announce_topic: baseTopic.optional(),
    /** Status values retained (the gateway's `mqtt_retained`). */
    retained: z.boolean().default(false),
    /** Also the ESP8266-era topics (`wh`, `freeram`) and the 30 s republish of the seed's list. */
    legacy_topics: z.boolean().default(false),
    /** RAPI over MQTT beyond `$G…`, `$F0`, `$FB` (switching and set commands still pass the guard). */
    full_rapi: z.boolean().default(false),
    /** Each `rapi/in/<cmd>` reply also on `rapi/out/<cmd>`, so concurrent users can tell replies apart. */
    rapi_out_per_command: z.boolean().default(false),
    min_current_a: amps("min_current_a").default(6),
    max_current_a: amps("max_current_a").default(32),
    switch_min_interval_s: z.number().min(0).max(3600).default(30),
    /** Target state when no claim sets one. */
    default_state: z.enum(["active", "disabled"]).default("active"),
    /** Pause with `$FD` (pilot −12 V) instead of `$FS` (sleep). */
    pause_uses_disabled: z.boolean().default(false),
    /** `$SY interval current`; 0 disarms supervision (`$SY 0 0`). */
    heartbeat_interval_s: z.number().int().min(0).max(3600).default(5),
    heartbeat_current_a: z.number().int().min(0).max(80).default(6),
    reply_timeout_ms: z.number().int().min(100).max(10_000).default(500),
    /** Replies missed in a row before the controller counts as not answering (availability offline). */
    offline_after_misses: z.number().int().min(1).max(100).default(3),
    /** Voltage for power and divert when no `vrms_topic` value is fresh (the gateway defaults to 240). */
    voltage_v: z.number().min(60).max(300).default(230),
    three_phase: z.boolean().default(false),
    grid_ie_topic: topicField.optional(),
    solar_topic: topicField.optional(),
    live_pwr_topic: topicField.optional(),
    vrms_topic: topicField.optional(),
    /** Which input drives divert; default grid when `grid_ie_topic` is set, else solar. */
    divert_type: z.enum(["solar", "grid"]).optional(),
    divert_pv_ratio: z.number().min(0).max(10).default(1.1),
    divert_attack_smoothing_s: z.number().min(0).max(3600).default(20),
    divert_decay_smoothing_s: z.number().min(0).max(36_000).default(600),
    divert_min_charge_time_s: z.number().min(0).max(36_000).default(600),
    /** Mode at start: 1 normal, 2 eco (solar divert). */
    divert_mode: z.union([z.literal(1), z.literal(2)], { error: "expected 1 (normal) or 2 (eco)" }).default(1),
    /** Site limit for the current shaper, W; 0 = no shaper. */
    shaper_max_power_w: z.number().min(0).max(1_000_000).default(0),
    shaper_smoothing_time_s: z.number().min(0).max(3600).default(60),
    shaper_min_pause_time_s: z.number().min(0).max(36_000).default(300),
    shaper_data_max_interval_s: z.number().min(1).max(3600).default(120),
    /** Full status dump this often (the gateway's ~30 s). */
    full_dump_s: z.number().min(5).max(3600).default(30),
  })
  .strict()
  .refine((c) => c.min_current_a <= c.max_current_a, { message: "min_current_a must not exceed max_current_a", path: ["min_current_a"] })
  .refine((c) => c.divert_type !== "grid" || c.grid_ie_topic !== undefined, { message: "divert_type grid needs grid_ie_topic", path: ["divert_type"] })
  .refine((c) => c.divert_type !== "solar" || c.solar_topic !== undefined, { message: "divert_type solar needs solar_topic", path: ["divert_type"] })
  // With no site power at all the shaper's failsafe would pause charging for ever.
  .refine((c) => c.shaper_max_power_w === 0 || c.live_pwr_topic !== undefined || c.grid_ie_topic !== undefined, {
    message: "the current shaper needs live_pwr_topic (or grid_ie_topic) for the site power",
    path: ["shaper_max_power_w"],
  });

export type ControllerConfig = z.infer<typeof controllerSchema>;

export const openevseConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    controllers: z.array(controllerSchema).default([]),
  })
  .strict()
  .refine((c) => !c.enabled || c.controllers.length > 0, { message: "expected one or more [[openevse]] tables (name, port)", path: ["controllers"] })
  .refine((c) => unique(c.controllers.map((x) => x.name)), { message: "two controllers share a name; names must be unique", path: ["controllers"] })
  .refine((c) => unique(c.controllers.map((x) => parsePortKey(x.port))), { message: "two controllers share a port", path: ["controllers"] })
  .refine((c) => unique(resolvedBaseTopics(c.controllers)), { message: "two controllers share a base_topic", path: ["controllers"] });

export type OpenEvseConfig = z.infer<typeof openevseConfigSchema>;

function unique(xs: string[]): boolean {
  return new Set(xs).size === xs.length;
}

function parsePortKey(p: string): string {
  const r = parsePort(p);
  return r.ok ? (r.value.kind === "tcp" ? `tcp:${r.value.host}:${r.value.port}` : r.value.path) : p;
}

/** The compatible layout's base per controller, in order: the gateway's legacy "openevse" for the first. */
export function resolvedBaseTopics(controllers: readonly Pick<ControllerConfig, "name" | "base_topic">[]): string[] {
  return controllers.map((c, i) => c.base_topic ?? (i === 0 ? "openevse" : `openevse-${c.name}`));
}

/** Divert's input kind: as configured, else grid when a grid topic is set, else solar. */
export function divertType(c: Pick<ControllerConfig, "divert_type" | "grid_ie_topic">): "solar" | "grid" {
  return c.divert_type ?? (c.grid_ie_topic !== undefined ? "grid" : "solar");
}

/** The compatible layout's announce topic: as configured, else the gateway's `openevse/announce/<id>`. */
export function announceTopic(c: Pick<ControllerConfig, "name" | "announce_topic">): string {
  return c.announce_topic ?? `openevse/announce/${c.name}`;
}
