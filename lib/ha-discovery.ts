import type { ChargerMeta } from "./protocol.ts";

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

interface Entity {
  component: "sensor" | "switch" | "number";
  key: string;
  name: string;
  extra: Record<string, unknown>;
}

const ENTITIES: Entity[] = [
  { component: "sensor", key: "status", name: "Status", extra: { value_template: "{{ value_json.status }}", icon: "mdi:ev-station" } },
  { component: "sensor", key: "power", name: "Power", extra: { value_template: "{{ value_json.power_w }}", device_class: "power", state_class: "measurement", unit_of_measurement: "W" } },
  { component: "sensor", key: "energy_session", name: "Session energy", extra: { value_template: "{{ value_json.energy_session_wh }}", device_class: "energy", state_class: "total_increasing", unit_of_measurement: "Wh" } },
  { component: "sensor", key: "energy_total", name: "Total energy", extra: { value_template: "{{ value_json.energy_total_wh }}", device_class: "energy", state_class: "total_increasing", unit_of_measurement: "Wh" } },
  { component: "sensor", key: "temperature", name: "Temperature", extra: { value_template: "{{ value_json.temperature_c }}", device_class: "temperature", state_class: "measurement", unit_of_measurement: "°C" } },
  { component: "switch", key: "enabled", name: "Charging enabled", extra: { value_template: "{{ value_json.enabled }}", state_on: "True", state_off: "False", payload_on: '{"enabled":true}', payload_off: '{"enabled":false}' } },
  { component: "number", key: "current_limit", name: "Current limit", extra: { value_template: "{{ value_json.current_limit_a }}", command_template: '{"current_limit_a":{{ value }}}', min: 0, max: 80, step: 1, unit_of_measurement: "A", device_class: "current" } },
];

/** Home Assistant MQTT discovery: one device per charger, entities reading the normalized state. */
export function discoveryMessages(prefix: string, base: string, id: string, meta: ChargerMeta): DiscoveryMessage[] {
  const stateTopic = `${base}/${id}`;
  const device = {
    identifiers: [`evse2mqtt_${id}`],
    name: meta.name ?? id,
    manufacturer: meta.manufacturer ?? meta.protocol,
    model: meta.model ?? meta.protocol,
    ...(meta.sw_version ? { sw_version: meta.sw_version } : {}),
  };
  return ENTITIES.map((e) => ({
    topic: `${prefix}/${e.component}/evse2mqtt_${id}/${e.key}/config`,
    payload: {
      name: e.name,
      unique_id: `evse2mqtt_${id}_${e.key}`,
      object_id: `${id}_${e.key}`,
      state_topic: stateTopic,
      ...(e.component === "sensor" ? {} : { command_topic: `${stateTopic}/set` }),
      availability: [{ topic: `${base}/bridge/state` }, { topic: `${stateTopic}/availability` }],
      availability_mode: "all",
      device,
      ...e.extra,
    },
  }));
}
