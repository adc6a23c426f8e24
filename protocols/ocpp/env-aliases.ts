/**
 * ocpp2mqtt's environment names (spec §7.2, C4) mapped onto our config, so its `.env` keeps
 * working. Pure: the config loader decides precedence (native EVSE2MQTT_ names should win).
 */
import type { OcppSectionInput } from "./config.ts";

export interface OcppEnvAliases {
  /** Keys for the `[ocpp]` section. */
  ocpp: Partial<OcppSectionInput>;
  /** Keys for the core `[mqtt]` section (broker connection). */
  mqtt: Record<string, string | number>;
  /** Keys for the core `[log]` section. */
  log: Record<string, string>;
}

function jsonStringArray(text: string | undefined, name: string, problems: string[]): string[] | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {
    // reported below
  }
  problems.push(`${name}: expected a JSON array of strings, e.g. ["tag1","tag2"]`);
  return undefined;
}

function intOf(text: string | undefined, name: string, problems: string[]): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (Number.isInteger(n)) return n;
  problems.push(`${name}: expected an integer, got "${text}"`);
  return undefined;
}

/**
 * `env` → partial sections. `problems` lists aliases that were present but unusable (the loader
 * should report them like config errors). Unset or empty variables are ignored.
 */
export function ocppEnvAliases(env: Record<string, string | undefined>, problems: string[] = []): OcppEnvAliases {
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v === "" ? undefined : v.replace(/^'(.*)'$/s, "$1");
  };
  const out: OcppEnvAliases = { ocpp: {}, mqtt: {}, log: {} };
  const addr = get("LISTEN_ADDR");
  const port = intOf(get("LISTEN_PORT"), "LISTEN_PORT", problems);
  if (addr !== undefined || port !== undefined) {
    const host = addr ?? "0.0.0.0";
    out.ocpp.listen = `${host.includes(":") ? `[${host}]` : host}:${port ?? 3000}`;
  }
  const basepath = get("MQTT_BASEPATH");
  const useName = get("MQTT_USESTATIONNAME");
  if (basepath !== undefined) {
    // ocpp2mqtt concatenates without a separator; we join with one "/" (F1), so strip a trailing one.
    out.ocpp.compat_base = basepath.replace(/\/+$/, "") || basepath;
    out.ocpp.compat_append_identity = useName === "true";
  } else if (useName !== undefined) {
    out.ocpp.compat_append_identity = useName === "true";
  }
  const tags = jsonStringArray(get("AUTHORIZED_TAG_ID_LIST"), "AUTHORIZED_TAG_ID_LIST", problems);
  if (tags) out.ocpp.authorized_tags = tags;
  const expected = jsonStringArray(get("EXPECTED_CHARGE_POINTS"), "EXPECTED_CHARGE_POINTS", problems);
  if (expected) out.ocpp.expected_charge_points = expected;

  const host = get("MQTT_HOSTNAME");
  const mqttPort = intOf(get("MQTT_PORT"), "MQTT_PORT", problems);
  if (host !== undefined || mqttPort !== undefined) {
    const transport = get("MQTT_TRANSPORT") ?? "tcp";
    const scheme = transport === "websockets" ? "ws" : "mqtt";
    if (transport === "unix") problems.push("MQTT_TRANSPORT: unix sockets are not supported, using tcp");
    const path = scheme === "ws" ? (get("MQTT_WEBSOCKET_PATH") ?? "/mqtt") : "";
    const h = host ?? "localhost";
    out.mqtt.url = `${scheme}://${h.includes(":") ? `[${h}]` : h}:${mqttPort ?? 1883}${path}`;
  }
  const user = get("MQTT_USERNAME");
  if (user !== undefined) out.mqtt.username = user;
  const pass = get("MQTT_PASSWORD");
  if (pass !== undefined) out.mqtt.password = pass;
  const keepalive = intOf(get("MQTT_KEEPALIVE"), "MQTT_KEEPALIVE", problems);
  if (keepalive !== undefined) out.mqtt.keepalive_s = keepalive;
  const clientId = get("MQTT_CLIENT_ID");
  if (clientId !== undefined) out.mqtt.client_id = clientId;
  const level = get("LOG_LEVEL")?.toLowerCase();
  if (level !== undefined) out.log.level = level === "warning" ? "warn" : level === "critical" ? "error" : level;
  return out;
}
