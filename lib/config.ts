import { existsSync, readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { ConfigError, type ConfigIssue, errorMessage } from "./errors.ts";
import { host, PARSE_ONCE } from "./config-fields.ts";
import { LOG_LEVELS } from "./log.ts";
import { redactUrl } from "./redact.ts";
import type { ProtocolPlugin } from "./protocol.ts";
import { webSection } from "./web/config.ts";

const mqttUrl = z
  .string()
  .refine((u) => u === "embedded" || /^(mqtts?|wss?|tcp|ssl):\/\/[^/\s]+/.test(u), {
    message: 'expected "embedded" or a URL mqtt://, mqtts://, ws:// or wss:// with a host',
  });

const mqttSection = z
    .object({
      url: mqttUrl.default("mqtt://localhost:1883"),
      base_topic: z.string().min(1).regex(/^[^#+]+$/, "no MQTT wildcards").default("evse2mqtt"),
      client_id: z.string().min(1).default("evse2mqtt"),
      username: z.string().optional(),
      password: z.string().optional(),
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      reject_unauthorized: z.boolean().default(true),
      embedded_port: z.number().int().min(0).max(65535).default(1883),
      // Loopback unless asked: a broker without a password must not be reachable from the network.
      embedded_bind: host.default("127.0.0.1"),
      queue_limit: z.number().int().min(1).default(10_000),
      keepalive_s: z.number().int().min(5).default(30),
      reconnect_min_s: z.number().positive().default(1),
      reconnect_max_s: z.number().positive().default(30),
    })
    .strict();
const bridgeSection = z
    .object({
      republish_s: z.number().min(0).default(60),
      state_dir: z.string().optional(),
    })
    .strict();
const homeassistantSection = z
    .object({
      discovery: z.boolean().default(true),
      prefix: z.string().min(1).default("homeassistant"),
    })
    .strict();
const logSection = z
    .object({
      level: z.enum(LOG_LEVELS).default("info"),
      json: z.boolean().default(false),
    })
    .strict();

const CORE_SECTIONS = { mqtt: mqttSection, bridge: bridgeSection, homeassistant: homeassistantSection, log: logSection, web: webSection };

export const coreSchema = z.object({
  mqtt: mqttSection.prefault({}),
  bridge: bridgeSection.prefault({}),
  homeassistant: homeassistantSection.prefault({}),
  log: logSection.prefault({}),
  web: webSection.prefault({}),
});

export type CoreConfig = z.infer<typeof coreSchema>;

export interface Config extends CoreConfig {
  /** Validated protocol sections by protocol name; each has `enabled`. */
  protocols: Record<string, { enabled: boolean } & Record<string, unknown>>;
  /** Where the config came from (absent file is fine). */
  file: string;
  fileFound: boolean;
}

type Raw = Record<string, unknown>;

export interface ConfigSources {
  file: string;
  /** Explicit -c: a missing file is then an error. */
  fileRequired: boolean;
  env: Record<string, string | undefined>;
  /** `section.key=value` overrides from the command line (highest precedence). */
  flags: string[];
}

/** Keys whose values are never shown: anything named like a key, password, secret, token or PIN. */
const SECRET = /key|pass(word)?|secret|token|(^|[^a-z])pin([^a-z]|$)/i;

function isObject(v: unknown): v is Raw {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function sectionShapes(plugins: ProtocolPlugin[]): Map<string, z.ZodObject<z.ZodRawShape>> {
  const m = new Map<string, z.ZodObject<z.ZodRawShape>>();
  for (const [name, s] of Object.entries(CORE_SECTIONS)) m.set(name, s);
  for (const p of plugins) m.set(p.name, p.configSchema);
  return m;
}

/** An env var or flag is text; take it as text where the key accepts text, else as JSON (numbers, booleans, arrays). */
function coerce(field: z.core.$ZodType, text: string): unknown {
  if (z.safeParse(field, text, PARSE_ONCE).success) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(raw: Raw, section: string, key: string, value: unknown): void {
  const current = raw[section];
  const s: Raw = isObject(current) ? current : {};
  s[key] = value;
  raw[section] = s;
}

function applyEnv(raw: Raw, shapes: Map<string, z.ZodObject<z.ZodRawShape>>, env: Record<string, string | undefined>): void {
  for (const [section, schema] of shapes) {
    for (const [key, field] of Object.entries(schema.shape)) {
      const name = `EVSE2MQTT_${section}_${key}`.toUpperCase();
      const v = env[name];
      if (v !== undefined) setPath(raw, section, key, coerce(field, v));
    }
  }
}

function applyFlags(raw: Raw, shapes: Map<string, z.ZodObject<z.ZodRawShape>>, flags: string[], issues: ConfigIssue[]): void {
  for (const f of flags) {
    const m = /^([a-z_]+)\.([a-z_0-9]+)=(.*)$/s.exec(f);
    const [, section = "", key = "", text = ""] = m ?? [];
    const field = shapes.get(section)?.shape[key];
    if (!m || !field) {
      // The value is not echoed: `--set mqtt.pasword=…` is a password with a typo in its key.
      const key = f.split("=")[0] ?? "";
      issues.push({ path: `--set ${key}`, value: "(hidden)", expected: "section.key=value naming a known key" });
      continue;
    }
    setPath(raw, section, key, coerce(field, text));
  }
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const p of path) v = isObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** `huawei.units.0.host` reads as `huawei[0].host` when the section is a list of tables. */
function pathText(prefix: string, path: PropertyKey[], arraySection?: string): string {
  const parts = path.map(String);
  if (arraySection && parts[0] === arraySection && parts[1] !== undefined && /^\d+$/.test(parts[1])) {
    return [`${prefix}[${parts[1]}]`, ...parts.slice(2)].join(".");
  }
  return [prefix, ...parts].filter(Boolean).join(".");
}

function zodIssues(err: z.ZodError, prefix: string, raw: unknown, arraySection?: string): ConfigIssue[] {
  return err.issues.map((i) => {
    const path = pathText(prefix, i.path, arraySection);
    if (i.code === "unrecognized_keys") {
      return { path, value: i.keys, expected: `no such key${i.keys.length > 1 ? "s" : ""} (typo?)` };
    }
    // A password with a typo must not end up in a log either.
    const secret = i.path.some((p) => SECRET.test(String(p)));
    return { path, value: secret ? "***" : maskSecrets(valueAt(raw, i.path), String(i.path.at(-1) ?? "")), expected: i.message };
  });
}

/** Precedence, highest first: flags, environment, file, defaults. Every problem is collected before failing. */
export function loadConfig(plugins: ProtocolPlugin[], src: ConfigSources): Config {
  const issues: ConfigIssue[] = [];
  let raw: Raw = {};
  const fileFound = existsSync(src.file);
  if (fileFound) {
    try {
      raw = parseToml(readFileSync(src.file, "utf8"));
    } catch (err) {
      throw new ConfigError([{ path: src.file, value: undefined, expected: `valid TOML: ${errorMessage(err)}` }]);
    }
  } else if (src.fileRequired) {
    throw new ConfigError([{ path: src.file, value: undefined, expected: "an existing config file" }]);
  }
  const shapes = sectionShapes(plugins);
  const presentInFile = new Set(Object.keys(raw));
  // `[[openevse]]` (one table per device) arrives as an array: it becomes the section's list key,
  // so environment and flags can still set the section's other keys.
  for (const p of plugins) {
    const given = raw[p.name];
    if (p.arraySection && Array.isArray(given)) raw[p.name] = { [p.arraySection]: given };
  }
  for (const k of Object.keys(raw)) {
    // Masked: a misspelt [mqtt] section holds the broker password.
    if (!shapes.has(k)) issues.push({ path: k, value: maskSecrets(raw[k], k), expected: `a known section (${[...shapes.keys()].join(", ")})` });
  }
  for (const p of plugins) {
    const problems: string[] = [];
    const sections = p.envAliases?.(src.env, problems) ?? {};
    for (const problem of problems) issues.push({ path: `environment (${p.name} alias)`, value: undefined, expected: problem });
    for (const [section, values] of Object.entries(sections)) {
      if (Object.keys(values).length === 0) continue;
      for (const [k, v] of Object.entries(values)) setPath(raw, section, k, v);
      if (section === p.name) presentInFile.add(section);
    }
  }
  applyEnv(raw, shapes, src.env);
  applyFlags(raw, shapes, src.flags, issues);

  const core = coreSchema.safeParse(Object.fromEntries(Object.keys(coreSchema.shape).map((k) => [k, raw[k]])), PARSE_ONCE);
  if (!core.success) issues.push(...zodIssues(core.error, "", raw));
  const protocols: Config["protocols"] = {};
  for (const p of plugins) {
    const given = raw[p.name];
    const section: Raw = isObject(given) ? given : {};
    if (given !== undefined && !isObject(given)) {
      issues.push({ path: p.name, value: maskSecrets(given, p.name), expected: p.arraySection ? `one or more [[${p.name}]] tables` : "a table" });
      continue;
    }
    const parsed = p.configSchema.safeParse(section, PARSE_ONCE);
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, p.name, section, p.arraySection));
      continue;
    }
    const data: Raw = parsed.data;
    // A section written in the file switches its protocol on unless it says enabled = false.
    const enabled = section.enabled === undefined ? presentInFile.has(p.name) || p.enabledByDefault : data.enabled === true;
    protocols[p.name] = { ...data, enabled };
  }
  if (issues.length > 0 || !core.success) throw new ConfigError(issues);
  return { ...core.data, protocols, file: src.file, fileFound };
}

/** The effective config with every secret replaced (also user:password@ in URLs), for check-config and logs. */
export function maskSecrets(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => maskSecrets(x, key));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSecrets(x, k)]));
  if (SECRET.test(key) && v !== undefined && v !== null && v !== "") return "***";
  if (typeof v === "string") return redactUrl(v);
  return v;
}
