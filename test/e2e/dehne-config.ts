// The bridge configuration of the Dehne end-to-end scenario: fast timers so timeouts and
// polling happen within seconds, one named and one calibrated charger.
export interface DehneScenarioNames {
  brokerUrl: string;
  base: string;
  port: number;
  pub: string;
  sub: string;
  /** Serial with calibration. */
  calibrated: string;
  /** Serial with a configured name. */
  named: string;
  name: string;
}

export function dehneScenarioConfig(n: DehneScenarioNames): string {
  return `[mqtt]
url = "${n.brokerUrl}"
base_topic = "${n.base}"
client_id = "${n.base}-bridge"
reconnect_min_s = 0.2
reconnect_max_s = 1
[bridge]
republish_s = 2
[log]
level = "debug"
[dehne]
listen = "127.0.0.1:${n.port}"
topic_publish = "${n.pub}"
topic_subscribe = "${n.sub}"
poll_interval_s = 0.5
reply_timeout_s = 1
handshake_timeout_s = 1
contactor_min_interval_s = 30
stop_delay_s = 2
[dehne.names]
${n.named} = "${n.name}"
[dehne.calibration.${n.calibrated}]
voltage = { slope = 230, divider = 2800 }
current = { divider = 95 }
`;
}
