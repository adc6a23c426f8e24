import { z } from "zod";
import { hostPort } from "../../lib/config-fields.ts";

const calibration = z
  .object({
    offset: z.number().default(0),
    slope: z.number().default(1),
    divider: z.number().refine((d) => d !== 0, "divider must not be 0").default(1),
  })
  .strict();

export const dehneConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    listen: hostPort("[::]:9091 or 0.0.0.0:9091").default("[::]:9091"),
    compatible: z.boolean().default(true),
    topic_publish: z.string().min(1).default("from_dehneEVSE"),
    topic_subscribe: z.string().min(1).default("to_dehneEVSE"),
    // The charger drops a connection after 10 s without a request, so polling must be faster.
    poll_interval_s: z.number().min(0).max(9, "must be below the charger's 10 s watchdog (0 = off)").default(5),
    reply_timeout_s: z.number().positive().default(5),
    handshake_timeout_s: z.number().positive().default(10),
    min_current_a: z.number().min(6, "IEC 61851 PWM starts at 6 A").max(80).default(6),
    max_current_a: z.number().min(6).max(80, "the duty-cycle mapping ends at 80 A").default(32),
    contactor_min_interval_s: z.number().min(0).default(30),
    stop_delay_s: z.number().min(0).default(15),
    // Every handshake with a new serial would otherwise create a permanent device (and its topics).
    max_chargers: z.number().int().min(1).default(2000),
    allowed_serials: z.array(z.string().regex(/^[0-9A-F]{32}$/, "a serial of 32 upper-case hex digits")).default([]),
    /** A charger offline this long is forgotten, its retained topics and discovery cleared (0 = never). */
    forget_after_s: z.number().min(0).default(7 * 24 * 3600),
    names: z
      .record(z.string().regex(/^[0-9A-F]{32}$/, "key must be a serial of 32 upper-case hex digits"), z.string().min(1))
      .default({}),
    calibration: z
      .record(z.string(), z.object({ voltage: calibration.optional(), current: calibration.optional() }).strict())
      .default({}),
  })
  .strict()
  .refine((c) => c.min_current_a <= c.max_current_a, { message: "min_current_a must not exceed max_current_a", path: ["min_current_a"] })
  // A client_id must name one charger, or a command would reach whichever connected first (spec G12).
  .refine((c) => new Set(Object.values(c.names)).size === Object.keys(c.names).length, {
    message: "two serials share one name; names must be unique",
    path: ["names"],
  });

export type DehneConfig = z.infer<typeof dehneConfigSchema>;
export type Calibration = z.infer<typeof calibration>;
