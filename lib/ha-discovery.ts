// Home Assistant MQTT discovery: one device per charger, entities chosen from what the charger
// can report and do (its capabilities), all reading the normalized state. Ids follow HA's rules:
// topic segments and unique ids use [a-zA-Z0-9_-] only and carry the bridge's base topic, so two
// bridges (or two identities that sanitize alike) never collide.
import { STATUSES } from "./normalized.ts";
import type { Capabilities, ChargerMeta } from "./protocol.ts";
import { VERSION } from "./version.ts";

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

type Component = "sensor" | "binary_sensor" | "switch" | "number" | "button";

interface Entity {
  component: Component;
  key: string;
  name: string;
  extra: Record<string, unknown>;
}

/** HA's slug for entity ids: lower case, runs of anything else become one `_`. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "x";
}

/**
 * `raw` in HA's discovery alphabet. Where characters had to be replaced, a short hash of the raw
 * text is appended, so "wb.garage1" and "wb_garage1" stay two devices.
 */
export function discoveryId(raw: string): string {
  const clean = raw.replace(/[^a-zA-Z0-9_-]/g, "_");
  if (clean === raw && raw.length > 0) return raw;
  // node:crypto is fetched here, not imported: loading it costs the start-up ~3.5 ms and ~3 MiB of
  // RSS, and most ids need no hash.
  return `${clean}_${process.getBuiltinModule("node:crypto").createHash("sha256").update(raw).digest("hex").slice(0, 6)}`;
}

const measurement = (key: string, name: string, field: string, device_class: string, unit: string, more: Record<string, unknown> = {}): Entity => ({
  component: "sensor",
  key,
  name,
  extra: { value_template: `{{ value_json.${field} }}`, device_class, state_class: "measurement", unit_of_measurement: unit, ...more },
});

function phaseEntities(): Entity[] {
  const out: Entity[] = [];
  for (const i of [0, 1, 2]) {
    const n = i + 1;
    // Per-phase values are detail most users never look at: there, but disabled until wanted.
    out.push(measurement(`current_l${n}`, `Current L${n}`, `current_a[${i}]`, "current", "A", { enabled_by_default: false, suggested_display_precision: 1 }));
    out.push(measurement(`voltage_l${n}`, `Voltage L${n}`, `voltage_v[${i}]`, "voltage", "V", { enabled_by_default: false, suggested_display_precision: 0 }));
  }
  return out;
}

/** Everything a protocol can offer; the capabilities pick from it. Undefined capabilities: the full set. */
export function entitiesFor(caps: Capabilities | undefined, stateTopic: string): Entity[] {
  const all = caps === undefined;
  const c = caps ?? {};
  const out: Entity[] = [
    {
      component: "sensor",
      key: "status",
      name: "Status",
      extra: { value_template: "{{ value_json.status }}", device_class: "enum", options: [...STATUSES], icon: "mdi:ev-station" },
    },
    {
      component: "binary_sensor",
      key: "problem",
      name: "Problem",
      extra: {
        value_template: "{{ 'ON' if value_json.status == 'error' or value_json.errors | length > 0 else 'OFF' }}",
        json_attributes_topic: stateTopic,
        json_attributes_template: "{{ {'errors': value_json.errors} | tojson }}",
        device_class: "problem",
      },
    },
    {
      // Refusals (clamped, rate-limited, offline…) are otherwise invisible in HA.
      component: "sensor",
      key: "last_command",
      name: "Last command",
      extra: {
        state_topic: `${stateTopic}/response`,
        value_template: "{{ value_json.error if value_json.status == 'error' else 'ok' }}",
        json_attributes_topic: `${stateTopic}/response`,
        entity_category: "diagnostic",
        icon: "mdi:message-reply-text",
      },
    },
  ];
  if (all || c.plug) {
    out.push({
      component: "binary_sensor",
      key: "plug",
      name: "Plugged in",
      extra: { value_template: "{{ 'ON' if value_json.status in ['connected', 'charging', 'suspended'] else 'OFF' }}", device_class: "plug" },
    });
  }
  if (all || c.power) out.push(measurement("power", "Power", "power_w", "power", "W", { suggested_display_precision: 0 }));
  if (all || c.energy) {
    out.push({ component: "sensor", key: "energy_session", name: "Session energy", extra: { value_template: "{{ value_json.energy_session_wh }}", device_class: "energy", state_class: "total_increasing", unit_of_measurement: "Wh" } });
    out.push({ component: "sensor", key: "energy_total", name: "Total energy", extra: { value_template: "{{ value_json.energy_total_wh }}", device_class: "energy", state_class: "total_increasing", unit_of_measurement: "Wh" } });
  }
  if (all || c.temperature) out.push(measurement("temperature", "Temperature", "temperature_c", "temperature", "°C"));
  if (c.phases) out.push(...phaseEntities());
  if (all || c.enable) {
    out.push({ component: "switch", key: "enabled", name: "Charging enabled", extra: { value_template: "{{ value_json.enabled }}", state_on: "True", state_off: "False", payload_on: '{"enabled":true}', payload_off: '{"enabled":false}' } });
  }
  if (all || c.currentLimit) {
    const lim = c.currentLimit ?? { min: 6, max: 32, step: 1 };
    out.push({
      component: "number",
      key: "current_limit",
      name: "Current limit",
      extra: { value_template: "{{ value_json.current_limit_a }}", command_template: '{"current_limit_a":{{ value }}}', min: lim.min, max: lim.max, step: lim.step, mode: "slider", unit_of_measurement: "A", device_class: "current" },
    });
  }
  for (const action of c.buttons ?? []) {
    out.push({ component: "button", key: `action_${slug(action)}`, name: action.replace(/_/g, " "), extra: { command_topic: `${stateTopic}/request`, payload_press: JSON.stringify({ action }), entity_category: "config" } });
  }
  return out;
}

/** The discovery messages of one charger (publish them retained; an empty payload removes one). */
export function discoveryMessages(prefix: string, base: string, id: string, meta: ChargerMeta): DiscoveryMessage[] {
  const stateTopic = `${base}/${id}`;
  const node = discoveryId(`${base}_${id}`);
  const device = {
    identifiers: [node],
    name: meta.name ?? id,
    manufacturer: meta.manufacturer ?? meta.protocol,
    model: meta.model ?? meta.protocol,
    ...(meta.sw_version ? { sw_version: meta.sw_version } : {}),
  };
  return entitiesFor(meta.capabilities, stateTopic).map((e) => {
    const commands = e.component === "switch" || e.component === "number";
    return {
      topic: `${prefix}/${e.component}/${node}/${e.key}/config`,
      payload: {
        name: e.name,
        unique_id: `${node}_${e.key}`,
        // The entity id HA gave before (from object_id `<id>_<key>`), so dashboards keep working.
        default_entity_id: `${e.component}.${slug(`${id}_${e.key}`)}`,
        ...(e.component === "button" ? {} : { state_topic: stateTopic }),
        ...(commands ? { command_topic: `${stateTopic}/set` } : {}),
        availability: [{ topic: `${base}/bridge/state` }, { topic: `${stateTopic}/availability` }],
        availability_mode: "all",
        device,
        origin: { name: "evse2mqtt", sw_version: VERSION },
        ...e.extra,
      },
    };
  });
}
