// The gateway's integration inputs (spec §10.6): grid, PV, site power and mains voltage from
// topics other devices publish. Values that do not parse are logged and dropped, never taken as 0.
import type { Logger } from "../../lib/log.ts";
import type { MqttLink } from "../../lib/mqtt.ts";
import type { ControllerConfig } from "./config.ts";
import { type Parsed, parsePowerInput, parseVoltageInput } from "./gateway-commands.ts";

export interface InputSink {
  power(kind: "grid" | "solar", watts: number): void;
  livePower(watts: number): void;
  voltage(volts: number): void;
}

const decoder = new TextDecoder();

export function subscribeInputs(mqtt: MqttLink, cfg: ControllerConfig, sink: InputSink, log: Logger): void {
  const on = <T>(topic: string | undefined, parse: (topic: string, payload: string) => Parsed<T>, use: (v: T) => void) => {
    if (topic === undefined) return;
    // Not ours to clear: a retained reading is ignored, not deleted from the broker.
    mqtt.subscribe(
      topic,
      (t, bytes) => {
        const r = parse(t, decoder.decode(bytes));
        if (r.ok) use(r.value);
        else log.warn("openevse input ignored", { topic: t, error: r.error });
      },
      { retained: "ignore" },
    );
  };
  on(cfg.grid_ie_topic, parsePowerInput, (w) => sink.power("grid", w));
  on(cfg.solar_topic, parsePowerInput, (w) => sink.power("solar", w));
  // The shaper reads the site power from live_pwr_topic, or else from the grid topic (§11.2).
  if (cfg.shaper_max_power_w > 0) on(cfg.live_pwr_topic ?? cfg.grid_ie_topic, parsePowerInput, (w) => sink.livePower(w));
  on(cfg.vrms_topic, parseVoltageInput, (v) => sink.voltage(v));
}
