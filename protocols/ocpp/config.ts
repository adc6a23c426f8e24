/** The `[ocpp]` config section. Every key has a default so an empty section is valid. */
import { z } from "zod";
import { hostPort } from "../../lib/config-fields.ts";

export const SUBPROTOCOLS = ["ocpp1.6"] as const;

const charger = z
  .object({
    /** Security profile 1/2: HTTP Basic password (user name = identity). */
    password: z.string().optional(),
    /** Only required fields and types are checked for this charger (spec §2.5). */
    lenient: z.boolean().optional(),
    /** Compat-layout base topic for this charger, overriding compat_base. */
    compat_base: z.string().min(1).optional(),
  })
  .strict();

export const ocppSectionSchema = z
  .object({
    enabled: z.boolean().default(false),
    listen: hostPort("0.0.0.0:9000 or [::]:9000").default("0.0.0.0:9000"),
    /** Only paths starting with this are accepted; "" accepts any path. */
    path_prefix: z.string().default(""),
    /** Offered subprotocols, in preference order. */
    subprotocols: z.array(z.enum(SUBPROTOCOLS)).min(1).default(["ocpp1.6"]),
    /** Clients offering no subprotocol are taken as 1.6 (Grizzl-E). */
    accept_no_subprotocol: z.boolean().default(true),
    tls_cert: z.string().default(""),
    tls_key: z.string().default(""),
    /** Require HTTP Basic auth from every charger (profile 1/2); with false only chargers with a password must authenticate. */
    require_auth: z.boolean().default(false),
    /** Identities allowed to connect; empty = any. */
    allowed: z.array(z.string().min(1)).default([]),
    /** With `allowed` empty: distinct identities remembered at most; further new ones get HTTP 503. */
    max_charge_points: z.number().int().min(1).default(1000),
    /**
     * A charge point gone this long is forgotten (its topics cleared, it no longer counts towards
     * max_charge_points); 0 = never. Configured identities are never forgotten; ones that never
     * completed a BootNotification are forgotten as soon as they disconnect.
     */
    forget_after_s: z.number().min(0).default(3 * 24 * 3600),
    /** Highest connectorId accepted from a charger; higher ones get CALLERROR and create nothing. */
    max_connectors: z.number().int().min(1).default(8),
    chargers: z.record(z.string(), charger).default({}),
    heartbeat_interval_s: z.number().int().min(1).default(60),
    /** 1.6 configuration keys sent with ChangeConfiguration after every BootNotification (e.g. WebSocketPingInterval). */
    boot_configuration: z.record(z.string().min(1).max(50), z.string().max(500)).default({}),
    call_timeout_s: z.number().positive().default(30),
    ping_interval_s: z.number().min(0).default(30),
    ping_misses: z.number().int().min(1).default(2),
    max_bad_messages: z.number().int().min(1).default(20),
    max_message_bytes: z.number().int().min(1024).default(65_536),
    lenient: z.boolean().default(false),
    /** §7.5 policy: "charging_enabled" (ocpp2mqtt, with F14), "tags" (list only) or "accept_all". */
    auth_policy: z.enum(["charging_enabled", "tags", "accept_all"]).default("charging_enabled"),
    authorized_tags: z.array(z.string()).default([]),
    /** Value of charging_enabled for a charger never switched (ocpp2mqtt: OFF). */
    charging_enabled_default: z.boolean().default(false),
    data_transfer_status: z.enum(["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]).default("Accepted"),
    /** Charging limits in A: above max is clamped, below min refused (/set and raw charging profiles). */
    min_current_a: z.number().min(0).default(6),
    max_current_a: z.number().positive().default(32),
    /** Highest limit of a "W" charging profile sent via /request or compat cmd; 0 refuses W profiles. */
    max_power_w: z.number().min(0).default(0),
    /** Minimum seconds between `enabled` flips (ChangeAvailability) per connector; refusals get an error reply. */
    switch_min_interval_s: z.number().min(0).default(30),
    /**
     * `enabled: false` during a transaction: how long a 0 A TxProfile may take to show that energy
     * stopped before RemoteStopTransaction, and how long that may take to end the transaction.
     */
    stop_verify_s: z.number().min(1, "at least 1 s: chargers need a moment to ramp down").max(300, "at most 300 s: energy must not flow for longer after a disable").default(15),
    /** SetChargingProfile for `current_limit_a` on the normalized /set. */
    profile_stack_level: z.number().int().min(0).default(1),
    profile_id: z.number().int().default(1),
    compat: z.boolean().default(true),
    compat_base: z.string().min(1).default("ocpp"),
    /** Append "/<identity>" to compat_base (MQTT_USESTATIONNAME). */
    compat_append_identity: z.boolean().default(true),
    /** Also publish one JSON document per command on <base>/cmd_response (F7). */
    compat_cmd_response: z.boolean().default(true),
    /** Identities marked DISCONNECTED at start-up (EXPECTED_CHARGE_POINTS). */
    expected_charge_points: z.array(z.string()).default([]),
  })
  .strict()
  // One without the other would serve plain ws:// to chargers configured for wss://.
  .refine((c) => (c.tls_cert === "") === (c.tls_key === ""), { message: "tls_cert and tls_key must be set together (or neither)", path: ["tls_key"] });

export type OcppSection = z.infer<typeof ocppSectionSchema>;
export type OcppSectionInput = z.input<typeof ocppSectionSchema>;
