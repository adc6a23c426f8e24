// The retained `<b>/config` document (spec §10.3): the gateway publishes its whole configuration;
// the bridge publishes what of that it has, under the gateway's key names, plus what the
// controller reported. No secrets are in a controller's table, so nothing needs redacting.
import { type ControllerConfig, divertType } from "./config.ts";
import type { ControllerView } from "./view.ts";

export function gatewayConfig(c: ControllerConfig, base: string, announce: string, v: ControllerView): string {
  return JSON.stringify({
    firmware: v.firmware ?? "",
    protocol: v.protocol ?? "",
    mqtt_topic: base,
    mqtt_announce_topic: announce,
    mqtt_retained: c.retained,
    mqtt_grid_ie: c.grid_ie_topic ?? "",
    mqtt_solar: c.solar_topic ?? "",
    mqtt_live_pwr: c.live_pwr_topic ?? "",
    mqtt_vrms: c.vrms_topic ?? "",
    divert_type: divertType(c) === "grid" ? 1 : 0,
    divert_PV_ratio: c.divert_pv_ratio,
    divert_attack_smoothing_time: c.divert_attack_smoothing_s,
    divert_decay_smoothing_time: c.divert_decay_smoothing_s,
    divert_min_charge_time: c.divert_min_charge_time_s,
    current_shaper_enabled: c.shaper_max_power_w > 0,
    current_shaper_max_pwr: c.shaper_max_power_w,
    current_shaper_smoothing_time: c.shaper_smoothing_time_s,
    current_shaper_min_pause_time: c.shaper_min_pause_time_s,
    current_shaper_data_maxinterval: c.shaper_data_max_interval_s,
    max_current_soft: c.max_current_a,
    min_current_hard: v.minA ?? c.min_current_a,
    max_current_hard: v.hwMaxA,
    is_threephase: c.three_phase,
    voltage: c.voltage_v,
    default_state: c.default_state === "active",
    pause_uses_disabled: c.pause_uses_disabled,
    heartbeat_interval: c.heartbeat_interval_s,
    heartbeat_current: c.heartbeat_current_a,
  });
}
