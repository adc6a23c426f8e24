// /metrics: the bridge, MQTT and every charger as Prometheus families, read when scraped. Names
// follow Prometheus conventions: `evse2mqtt_` prefix, base units (watts, joules, amperes, volts,
// seconds, bytes), `_total` on counters.
import type { Hub } from "../hub.ts";
import type { ChargerView } from "../hub-view.ts";
import { badFrames, framesIn, framesOut, type Labels, type MetricFamily, renderMetrics, type Sample } from "../metrics.ts";
import type { MqttLink } from "../mqtt.ts";
import { STATUSES } from "../normalized.ts";
import type { BridgeFacts } from "./view.ts";

function gauge(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name, help, type: "gauge", samples };
}

function counter(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name, help, type: "counter", samples };
}

/** One sample per charger where the value is known. */
function perCharger(views: ChargerView[], value: (v: ChargerView) => number | null | undefined): Sample[] {
  const out: Sample[] = [];
  for (const v of views) {
    const x = value(v);
    if (typeof x === "number" && Number.isFinite(x)) out.push({ labels: { id: v.id, protocol: v.meta.protocol }, value: x });
  }
  return out;
}

function perPhase(views: ChargerView[], values: (v: ChargerView) => (number | null)[]): Sample[] {
  const out: Sample[] = [];
  for (const v of views) {
    values(v).forEach((x, i) => {
      if (typeof x === "number" && Number.isFinite(x)) out.push({ labels: { id: v.id, protocol: v.meta.protocol, phase: `L${i + 1}` }, value: x });
    });
  }
  return out;
}

const seconds = (iso: string | null): number | null => {
  const t = iso === null ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? null : t / 1000;
};

function chargerFamilies(views: ChargerView[]): MetricFamily[] {
  const statusSamples: Sample[] = [];
  for (const v of views) {
    for (const s of STATUSES) statusSamples.push({ labels: { id: v.id, protocol: v.meta.protocol, status: s }, value: v.state.status === s ? 1 : 0 });
  }
  const wh = (x: number | null) => (x === null ? null : x * 3600);
  return [
    gauge("evse2mqtt_charger_up", "1 while the charger is connected to the bridge (availability online).", perCharger(views, (v) => (v.online ? 1 : 0))),
    gauge("evse2mqtt_charger_status", "The charger's normalized status: 1 for the current one, 0 for the others.", statusSamples),
    gauge("evse2mqtt_charger_power_watts", "Active power drawn by the car.", perCharger(views, (v) => v.state.power_w)),
    counter("evse2mqtt_charger_energy_joules_total", "The charger's energy meter reading (1 Wh = 3600 J).", perCharger(views, (v) => wh(v.state.energy_total_wh))),
    gauge("evse2mqtt_charger_session_energy_joules", "Energy of the current or last session (1 Wh = 3600 J).", perCharger(views, (v) => wh(v.state.energy_session_wh))),
    gauge("evse2mqtt_charger_current_limit_amperes", "Charging current the car is allowed.", perCharger(views, (v) => v.state.current_limit_a)),
    gauge("evse2mqtt_charger_current_amperes", "Current per phase.", perPhase(views, (v) => v.state.current_a)),
    gauge("evse2mqtt_charger_voltage_volts", "Voltage per phase.", perPhase(views, (v) => v.state.voltage_v)),
    gauge("evse2mqtt_charger_temperature_celsius", "Temperature the charger reports.", perCharger(views, (v) => v.state.temperature_c)),
    gauge("evse2mqtt_charger_last_seen_timestamp_seconds", "When the last frame came from the charger (Unix time).", perCharger(views, (v) => seconds(v.state.last_seen))),
  ];
}

/** The whole /metrics document. */
export function bridgeMetrics(facts: BridgeFacts, hub: Hub, mqtt: MqttLink, extra: MetricFamily[] = []): string {
  const views: ChargerView[] = [];
  for (const id of hub.ids()) {
    const v = hub.view(id);
    if (v) views.push(v);
  }
  const info: Labels = { version: facts.version, runtime: facts.runtime };
  const one = (value: number): Sample[] => [{ value }];
  return renderMetrics([
    gauge("evse2mqtt_build_info", "Version and runtime of the bridge; always 1.", [{ labels: info, value: 1 }]),
    gauge("evse2mqtt_start_time_seconds", "When the bridge started (Unix time).", one(facts.startedAt / 1000)),
    gauge("evse2mqtt_process_resident_memory_bytes", "Resident set size of the bridge process.", one(process.memoryUsage().rss)),
    gauge("evse2mqtt_mqtt_connected", "1 while the bridge is connected to the MQTT broker.", one(mqtt.connected ? 1 : 0)),
    gauge("evse2mqtt_mqtt_offline_queue_depth", "Publishes waiting for the broker to come back.", one(mqtt.queuedCount)),
    counter("evse2mqtt_mqtt_dropped_total", "Publishes dropped because the offline queue was full.", one(mqtt.droppedCount)),
    counter("evse2mqtt_mqtt_reconnects_total", "Times the MQTT link came back after a loss.", one(mqtt.reconnects)),
    counter("evse2mqtt_mqtt_published_total", "Messages handed to the MQTT client.", one(mqtt.published)),
    framesIn.family(),
    framesOut.family(),
    badFrames.family(),
    hub.commandsTotal.family(),
    gauge("evse2mqtt_chargers", "Chargers the bridge knows, online or not.", one(views.length)),
    ...chargerFamilies(views),
    ...extra,
  ]);
}
