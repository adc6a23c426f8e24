// `[[huawei]]`: one table per dispenser link to a FusionCharge power unit, each with its
// `[[huawei.connectors]]`. The key names follow the EVerest module's options (spec §9).
import { z } from "zod";
import { host } from "../../lib/config-fields.ts";

const connector = z
  .object({
    global_connector_number: z.number().int("must be an integer").min(1).max(12, "global connector numbers are 1–12 (spec §3)"),
    // The module caps the PSU's capabilities by these; 0 would cap them to nothing (spec §9).
    max_export_current_a: z.number().positive("must be above 0 A: the PSU's current is capped by it"),
    max_export_power_w: z.number().positive("must be above 0 W: the PSU's power is capped by it"),
  })
  .strict();

const pemPath = z.string().min(1, "expected a PEM file path");

export const unitSchema = z
  .object({
    /** Normalized ids are `<name>_<global connector number>`. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, "expected 1–32 letters, digits, _ . - (it names MQTT topics)"),
    // One colon is a host with a port (lib's host check takes "1.2.3.4:502" for IPv6).
    host: host.refine((h) => !/^[^:]*:[^:]*$/.test(h), "expected an IP address or a host name, without a port (that is `port`)"),
    port: z.number().int().min(1).max(65535).default(502),
    esn: z
      .string()
      .regex(/^[\x21-\x7e]{1,22}$/, "expected 1–22 printable ASCII characters (register 0x1016)")
      .default("0000000000000000"),
    // Empty = no compatible telemetry, as the module's default.
    telemetry_prefix: z
      .string()
      .regex(/^$|^[^#+]*[^#+/]$/, "no MQTT wildcards and no trailing slash")
      .default(""),
    goose: z.boolean().default(false),
    /** Ethernet interface for GOOSE (and the dispenser MAC in 0x114D); required with goose = true. */
    interface: z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, "expected a network interface name such as eth0").optional(),
    tls: z.boolean().default(false),
    ca: pemPath.optional(),
    cert: pemPath.optional(),
    key: pemPath.optional(),
    /** No Modbus PDU from the PSU for this long → the link counts as failed and is reconnected (spec §5.1). */
    silence_timeout_s: z.number().positive().max(3600).default(60),
    /** How long the start-up key fetch waits for each connector's HMAC key (spec §5.1). */
    key_fetch_timeout_s: z.number().positive().max(300).default(10),
    /** `module_placeholder_allocation_timeout_s` (spec §5.2). */
    allocation_timeout_s: z.number().positive().max(300).default(5),
    /** Minimum time between two power starts on one connector (GOOSE only). */
    switch_min_interval_s: z.number().min(0).default(10),
    connectors: z.array(connector).default([]).pipe(z.array(connector).min(1, "at least one [[huawei.connectors]] table is needed").max(4, "a dispenser has at most 4 connectors")),
  })
  .strict()
  .refine((u) => !u.goose || u.interface !== undefined, { message: "goose = true needs interface (the Ethernet interface facing the PSU)", path: ["interface"] })
  .refine((u) => !u.tls || u.ca !== undefined, { message: "tls = true needs ca (the CA that signed the PSU's certificate)", path: ["ca"] })
  .refine((u) => (u.cert === undefined) === (u.key === undefined), { message: "cert and key go together (the dispenser's client certificate)", path: ["key"] })
  .refine((u) => u.tls || (u.ca === undefined && u.cert === undefined), { message: "ca/cert/key are set but tls = false; set tls = true or remove them", path: ["tls"] })
  .refine((u) => new Set(u.connectors.map((c) => c.global_connector_number)).size === u.connectors.length, {
    message: "two connectors share a global_connector_number",
    path: ["connectors"],
  });

export type UnitConfig = z.infer<typeof unitSchema>;
export type ConnectorConfig = UnitConfig["connectors"][number];

export const huaweiConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    units: z.array(unitSchema).default([]),
  })
  .strict()
  .refine((c) => new Set(c.units.map((u) => u.name)).size === c.units.length, { message: "two [[huawei]] tables share a name", path: ["units"] })
  .refine(
    (c) => {
      const prefixes = c.units.map((u) => u.telemetry_prefix).filter((p) => p !== "");
      return new Set(prefixes).size === prefixes.length;
    },
    { message: "two [[huawei]] tables share a telemetry_prefix (their psu topics would mix)", path: ["units"] },
  )
  .refine(
    (c) => {
      // One PSU system numbers its connectors once (spec §14.15): the same number twice on one PSU is a typo.
      const seen = new Set<string>();
      for (const u of c.units) {
        for (const k of u.connectors) {
          const id = `${u.host}:${u.port}#${k.global_connector_number}`;
          if (seen.has(id)) return false;
          seen.add(id);
        }
      }
      return true;
    },
    { message: "two [[huawei]] tables for the same PSU use the same global_connector_number", path: ["units"] },
  );

export type HuaweiConfig = z.infer<typeof huaweiConfigSchema>;
