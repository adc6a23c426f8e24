// /metrics read by a real parser of the Prometheus text format (parse-prometheus-text-format, a
// devDependency): it must parse, follow the naming conventions, and carry the hub's values.
import { expect, test } from "bun:test";
import parsePrometheusTextFormat, { type PromFamily } from "parse-prometheus-text-format";
import { STATUSES } from "../../../lib/normalized.ts";
import { charging, guarded, rig } from "./support.ts";

const UNITS = /_(watts|joules|amperes|volts|celsius|seconds|bytes|total|info|depth|connected|up|status|chargers)$/;

function family(all: PromFamily[], name: string): PromFamily {
  const f = all.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}

function value(f: PromFamily, labels: Record<string, string> = {}): number {
  const s = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!s?.value) throw new Error(`${f.name}: no sample with ${JSON.stringify(labels)}`);
  return Number(s.value);
}

test("/metrics parses as the text format, with HELP, TYPE, the prefix, base units and the hub's values", async () => {
  const { hub, mqtt, call } = rig();
  const a = hub.attach("CP\"1\\x", { protocol: "ocpp" }, guarded());
  await charging(a, 3680);
  const b = hub.attach("SER2", { protocol: "dehne" }, guarded());
  await b.update({ status: "error", errors: ["pilot fault"], temperature_c: 41.5 });
  b.detach();
  expect(await hub.command("SER2", "set", new TextEncoder().encode("{}"))).toHaveProperty("error");
  mqtt.publish("x", "y");

  const r = await call("/metrics");
  expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await r.text();
  const all = parsePrometheusTextFormat(text);

  const names = all.map((f) => f.name);
  expect(new Set(names).size).toBe(names.length);
  for (const f of all) {
    expect(f.name).toMatch(/^evse2mqtt_[a-z0-9_]+$/);
    expect(f.name).toMatch(UNITS);
    expect(f.help.length).toBeGreaterThan(10);
    expect(["COUNTER", "GAUGE"]).toContain(f.type);
    if (f.type === "COUNTER") expect(f.name).toEndWith("_total");
    for (const m of f.metrics) expect(Number.isNaN(Number(m.value))).toBe(false);
  }

  const id = 'CP"1\\x';
  const labels = { id, protocol: "ocpp" };
  expect(value(family(all, "evse2mqtt_charger_up"), labels)).toBe(1);
  expect(value(family(all, "evse2mqtt_charger_up"), { id: "SER2" })).toBe(0);
  expect(value(family(all, "evse2mqtt_charger_power_watts"), labels)).toBe(3680);
  expect(value(family(all, "evse2mqtt_charger_energy_joules_total"), labels)).toBe(98765 * 3600);
  expect(value(family(all, "evse2mqtt_charger_session_energy_joules"), labels)).toBe(1234 * 3600);
  expect(value(family(all, "evse2mqtt_charger_current_limit_amperes"), labels)).toBe(16);
  expect(value(family(all, "evse2mqtt_charger_current_amperes"), { ...labels, phase: "L2" })).toBe(15.5);
  expect(value(family(all, "evse2mqtt_charger_voltage_volts"), { ...labels, phase: "L1" })).toBe(230);
  expect(family(all, "evse2mqtt_charger_voltage_volts").metrics.some((m) => m.labels?.phase === "L3")).toBe(false);
  expect(value(family(all, "evse2mqtt_charger_temperature_celsius"), { id: "SER2" })).toBe(41.5);
  const seen = value(family(all, "evse2mqtt_charger_last_seen_timestamp_seconds"), labels);
  expect(Math.abs(seen - Date.now() / 1000)).toBeLessThan(60);
  // The status enum: one series per status, exactly one of them 1.
  const status = family(all, "evse2mqtt_charger_status").metrics.filter((m) => m.labels?.id === "SER2");
  expect(status.map((m) => m.labels?.status).sort()).toEqual([...STATUSES].sort());
  expect(status.filter((m) => m.value === "1").map((m) => m.labels?.status)).toEqual(["offline"]);

  expect(value(family(all, "evse2mqtt_mqtt_connected"))).toBe(0);
  expect(value(family(all, "evse2mqtt_mqtt_offline_queue_depth"))).toBe(mqtt.queuedCount);
  expect(value(family(all, "evse2mqtt_mqtt_dropped_total"))).toBe(0);
  expect(value(family(all, "evse2mqtt_mqtt_reconnects_total"))).toBe(0);
  expect(value(family(all, "evse2mqtt_commands_total"), { source: "web", result: "rejected" })).toBe(1);
  expect(value(family(all, "evse2mqtt_frames_in_total"), { protocol: "dehne" })).toBeGreaterThanOrEqual(0);
  expect(value(family(all, "evse2mqtt_process_resident_memory_bytes"))).toBeGreaterThan(1024 * 1024);
  expect(value(family(all, "evse2mqtt_build_info"), { version: "9.9.9", runtime: "test" })).toBe(1);
  expect(value(family(all, "evse2mqtt_chargers"))).toBe(2);
});
