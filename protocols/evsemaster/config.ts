// `[evsemaster]` config section. Every key has a default; `.strict()` so typos are reported.

import { z } from "zod";
import { host } from "../../lib/config-fields.ts";
import { systemTimeZone, validateTimeZone } from "./emtime.ts";

const pin = z.string().regex(/^\d{6}$/, "expected the 6-digit PIN set in the OEM app");

const zone = z.string().refine(
  (tz) => {
    try {
      validateTimeZone(tz);
      return true;
    } catch {
      return false;
    }
  },
  { message: "expected an IANA time zone such as Europe/Amsterdam" },
);

export const chargerSchema = z
  .object({
    /** 16 hex digits as printed on the label / shown in the OEM app. */
    serial: z
      .string()
      .regex(/^[0-9a-fA-F]{16}$/, "expected 16 hex digits")
      .transform((s) => s.toLowerCase()),
    password: pin.optional(),
    /** Overrides the name stored in the charger for Home Assistant. */
    name: z.string().min(1).optional(),
    /** Never log in: leaves the charger to the OEM app (one app session at a time, §1). */
    disabled: z.boolean().default(false),
    /** Bridge-side cap on every current the bridge sends. */
    max_current_a: z.number().int().min(6).max(32).default(32),
    /** Overrides the section's cooldown_s for this charger. */
    cooldown_s: z.number().min(0).optional(),
    /**
     * The charger's IP address. Datagrams for this serial from anywhere else are ignored and no PIN
     * is ever sent elsewhere, from the very first beacon on (without it the address is learnt at
     * the first login).
     */
    address: z.ipv4({ message: "expected the charger's IPv4 address, e.g. 192.168.1.20" }).optional(),
  })
  .strict();

export const evsemasterSchema = z
  .object({
    enabled: z.boolean().default(false),
    bind: host.default("0.0.0.0"),
    port: z.number().int().min(1).max(65535).default(28376),
    /**
     * Zone the chargers' clocks are set in (EM time, §2.6). The system's zone is looked up only when
     * the key is absent: asking Intl for it loads ICU's time zone data (see emtime.ts).
     */
    time_zone: zone.default(() => systemTimeZone()),
    /** Publish chargers that are not configured (status NOT_LOGGED_IN unless default_password is set). */
    discover: z.boolean().default(true),
    /** At most this many unconfigured chargers are created (from beacons only); forged serials must not grow the hub forever. */
    max_discovered: z.number().int().min(0).default(32),
    /** Tried on chargers without their own PIN: only at an address they were logged in from before, unless discover_login. */
    default_password: pin.optional(),
    /**
     * Send default_password to any serial that beacons, at any address. Off by default, since every
     * LAN host can beacon a made-up serial and would receive the PIN.
     */
    discover_login: z.boolean().default(false),
    /** A discovered charger (not in the config, no PIN learnt by `login`) offline this long is removed from MQTT and the hub (0 = never). */
    forget_discovered_after_s: z.number().min(0).default(86_400),
    /**
     * A charger is pinned to the address it was first logged in from; it may move to another only
     * after the old address has been silent this long (logged as a warning). 0 = follow at once.
     */
    address_change_after_s: z.number().min(0).default(86_400),
    /** Shown in the OEM app's history for sessions the bridge starts/stops. */
    user_id: z.string().min(1).max(16).regex(/^[\x20-\x7e]*$/).default("evse2mqtt"),
    /** Minimum time between two start/stop commands to one charger (relay and contactor wear). */
    cooldown_s: z.number().min(0).default(60),
    /**
     * A stop counts only once a status datagram shows no session and no power; status pushes come
     * every 5–10 s, so this leaves room for two of them. Past it the stop is reported as failed.
     */
    stop_verify_s: z.number().min(1, "at least 1 s").max(300, "at most 300 s: energy must not flow for longer after a stop").default(20),
    offline_after_s: z.number().positive().default(11),
    session_timeout_s: z.number().positive().default(15),
    login_timeout_s: z.number().positive().default(5),
    reply_timeout_s: z.number().positive().default(5),
    config_refresh_s: z.number().min(1).default(120),
    relogin_min_s: z.number().positive().default(10),
    relogin_max_s: z.number().positive().default(300),
    charger: z.array(chargerSchema).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Two entries for one serial: which password or limit applies would depend on list order.
    const seen = new Set<string>();
    cfg.charger.forEach((c, i) => {
      if (seen.has(c.serial)) ctx.addIssue({ code: "custom", path: ["charger", i, "serial"], message: `duplicate charger serial ${c.serial}` });
      seen.add(c.serial);
    });
  });

export type EvsemasterConfig = z.infer<typeof evsemasterSchema>;
export type ChargerConfig = z.infer<typeof chargerSchema>;
