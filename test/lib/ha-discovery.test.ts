// Every discovery message held against Home Assistant's rules: topic alphabet, required keys per
// component, device class / unit / state class combinations, templates that render against real
// normalized states, unique ids unique across chargers and bridges.
import { describe, expect, test } from "bun:test";
import { discoveryId, discoveryMessages, type DiscoveryMessage } from "../../lib/ha-discovery.ts";
import { emptyState, STATUSES, type NormalizedState } from "../../lib/normalized.ts";
import type { Capabilities, ChargerMeta } from "../../lib/protocol.ts";
import { normalizeData } from "../../protocols/dehne/normalize.ts";
import { decodeData } from "../../protocols/dehne/wire.ts";
import { render } from "../support/jinja-subset.ts";

const TOPIC = /^homeassistant\/(sensor|binary_sensor|switch|number|button)\/[a-zA-Z0-9_-]+\/[a-zA-Z0-9_-]+\/config$/;

/** HA's sensor device classes we use, with the units and state classes HA accepts for them. */
const SENSOR_RULES: Record<string, { units: (string | undefined)[]; stateClasses: (string | undefined)[] }> = {
  power: { units: ["W", "kW"], stateClasses: ["measurement"] },
  energy: { units: ["Wh", "kWh"], stateClasses: ["total", "total_increasing"] },
  current: { units: ["A", "mA"], stateClasses: ["measurement"] },
  voltage: { units: ["V", "mV"], stateClasses: ["measurement"] },
  temperature: { units: ["°C", "°F", "K"], stateClasses: ["measurement"] },
  enum: { units: [undefined], stateClasses: [undefined] },
};

const FULL: Capabilities = {
  power: true,
  energy: true,
  temperature: true,
  phases: true,
  enable: true,
  currentLimit: { min: 6, max: 16, step: 1 },
  plug: true,
  buttons: ["ping", "collect_data", "soft_reset"],
};

function sampleStates(): NormalizedState[] {
  const full: NormalizedState = {
    ...emptyState("ocpp"),
    status: "charging",
    iec_state: "C",
    enabled: true,
    current_limit_a: 16,
    power_w: 11000,
    energy_session_wh: 1200,
    energy_total_wh: 90100,
    voltage_v: [230.1, 229.8, 231],
    current_a: [16, 15.9, 16.1],
    temperature_c: 31.5,
    errors: ["GroundFailure"],
  };
  // A real Dehne data frame (spec vector layout) through the real normalizer.
  const frame = new Uint8Array(44);
  const v = new DataView(frame.buffer);
  v.setUint8(0, 1);
  v.setUint8(1, 27);
  v.setUint8(2, 2);
  v.setUint8(3, 2);
  for (let i = 0; i < 3; i++) v.setUint32(4 + i * 4, 2800);
  for (let i = 0; i < 3; i++) v.setUint32(16 + i * 4, 1520);
  const dehne = { ...emptyState("dehne"), ...normalizeData(decodeData(frame, 4), { voltage: { offset: 0, slope: 230, divider: 2800 }, current: { offset: 0, slope: 1, divider: 95 } }) };
  return [emptyState("dehne"), full, dehne];
}

function validate(m: DiscoveryMessage, states: NormalizedState[]): void {
  const p = m.payload;
  const component = m.topic.split("/")[1];
  expect(m.topic).toMatch(TOPIC);
  expect(typeof p.name).toBe("string");
  expect(String(p.unique_id)).toMatch(/^[a-zA-Z0-9_-]+$/);
  expect(String(p.default_entity_id)).toMatch(new RegExp(`^${component}\\.[a-z0-9_]+$`));
  expect(p).not.toHaveProperty("object_id");
  expect(p.origin).toMatchObject({ name: "evse2mqtt" });
  const str = (k: string) => (typeof p[k] === "string" ? String(p[k]) : undefined);
  if (component === "sensor" || component === "binary_sensor") expect(str("state_topic")).toBeDefined();
  if (component === "switch" || component === "number") {
    expect(str("command_topic")).toMatch(/\/set$/);
    expect(str("state_topic")).toBeDefined();
  }
  if (component === "button") {
    expect(str("command_topic")).toMatch(/\/request$/);
    expect(JSON.parse(String(p.payload_press))).toHaveProperty("action");
  }
  if (component === "sensor" && p.device_class !== undefined) {
    const rule = SENSOR_RULES[String(p.device_class)];
    expect(rule, `device_class ${String(p.device_class)}`).toBeDefined();
    expect(rule?.units).toContain(str("unit_of_measurement"));
    expect(rule?.stateClasses).toContain(str("state_class"));
    if (p.device_class === "enum") expect(p.options).toEqual([...STATUSES]);
  }
  if (component === "number") {
    expect(Number(p.min)).toBeLessThan(Number(p.max));
    expect(Number(p.step)).toBeGreaterThan(0);
    const rendered = render(String(p.command_template), { value: 16 });
    expect(JSON.parse(rendered)).toEqual({ current_limit_a: 16 });
  }
  for (const key of ["value_template", "json_attributes_template"]) {
    const t = str(key);
    if (!t) continue;
    for (const s of states) {
      // Templates that read the response topic render against a reply, the rest against states.
      const input = str("state_topic")?.endsWith("/response") ? { status: "error", error: "refused" } : s;
      const out = render(t, { value_json: input });
      if (component === "binary_sensor" && key === "value_template") expect(["ON", "OFF"]).toContain(out);
      if (component === "switch") expect(["True", "False", "None"]).toContain(out);
      if (key === "json_attributes_template") expect(JSON.parse(out)).toHaveProperty("errors");
    }
  }
}

describe("Home Assistant discovery", () => {
  const meta = (protocol: string, capabilities?: Capabilities): ChargerMeta => ({ protocol, name: "Garage", capabilities });

  test("every message of every capability set follows HA's rules and renders against real states", () => {
    const states = sampleStates();
    for (const caps of [undefined, FULL, { enable: true }, { power: true, phases: true, plug: true }]) {
      const msgs = discoveryMessages("homeassistant", "evse2mqtt", "DE5E0000000000000000000000000001", meta("dehne", caps));
      expect(msgs.length).toBeGreaterThan(2);
      for (const m of msgs) validate(m, states);
    }
  });

  test("capabilities pick the entities: no power or energy for a charger that cannot measure them", () => {
    const keys = (caps: Capabilities) => discoveryMessages("homeassistant", "evse2mqtt", "X1", meta("dehne", caps)).map((m) => m.topic.split("/")[3]);
    const bare = keys({ enable: true, currentLimit: { min: 6, max: 32, step: 1 }, plug: true, buttons: ["ping"] });
    expect(bare).toEqual(["status", "problem", "last_command", "plug", "enabled", "current_limit", "action_ping"]);
    const full = keys(FULL);
    expect(full).toContain("power");
    expect(full).toContain("energy_total");
    expect(full).toContain("current_l3");
    const phase = discoveryMessages("homeassistant", "evse2mqtt", "X1", meta("dehne", FULL)).find((m) => m.topic.includes("/voltage_l2/"));
    expect(phase?.payload.enabled_by_default).toBe(false);
    const num = discoveryMessages("homeassistant", "evse2mqtt", "X1", meta("dehne", FULL)).find((m) => m.topic.includes("/current_limit/"));
    expect(num?.payload).toMatchObject({ min: 6, max: 16, step: 1 });
  });

  test("identities outside HA's alphabet get valid, distinct ids; two bridges never share one", () => {
    const ids = ["wb.garage1", "wb_garage1", "wb*garage1", "a=b:c|d@e", "CP 1"];
    const all = new Set<string>();
    for (const base of ["evse2mqtt", "second"]) {
      for (const id of ids) {
        for (const m of discoveryMessages("homeassistant", base, id.replace(/\s/g, "_"), meta("ocpp", FULL))) {
          expect(m.topic).toMatch(TOPIC);
          const uid = String(m.payload.unique_id);
          expect(all.has(uid)).toBe(false);
          all.add(uid);
        }
      }
    }
    expect(discoveryId("wb.garage1")).not.toBe(discoveryId("wb_garage1"));
    expect(discoveryId("evse2mqtt_DE5E01")).toBe("evse2mqtt_DE5E01");
  });

  test("entity ids stay what HA made of the old object_id", () => {
    const [status] = discoveryMessages("homeassistant", "evse2mqtt", "DE5E0000000000000000000000000001", meta("dehne", FULL));
    expect(status?.payload.default_entity_id).toBe("sensor.de5e0000000000000000000000000001_status");
    expect(status?.payload.unique_id).toBe("evse2mqtt_DE5E0000000000000000000000000001_status");
    expect(status?.topic).toBe("homeassistant/sensor/evse2mqtt_DE5E0000000000000000000000000001/status/config");
  });
});
