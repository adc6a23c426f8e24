// /healthz. Healthy while MQTT is connected. After the link drops the bridge still does its job for a
// while (publishes wait in the bounded offline queue and go out on reconnect), so it stays healthy
// for `grace` and as long as that queue has not overflowed; after that, or once messages are being
// dropped, it is unhealthy (503) until the broker is back.
import type { MqttLink } from "../mqtt.ts";

export interface Health {
  healthy: boolean;
  status: "ok" | "degraded" | "down";
  mqtt: { connected: boolean; down_for_s: number | null; queued: number; queue_limit: number; dropped: number };
}

export function health(mqtt: MqttLink, queueLimit: number, graceS: number, now: number): Health {
  const down = mqtt.connected ? undefined : (mqtt.downSince ?? now);
  const downForS = down === undefined ? null : Math.max(0, (now - down) / 1000);
  const queued = mqtt.queuedCount;
  const info = { connected: mqtt.connected, down_for_s: downForS === null ? null : Math.round(downForS * 10) / 10, queued, queue_limit: queueLimit, dropped: mqtt.droppedCount };
  if (downForS === null) return { healthy: true, status: "ok", mqtt: info };
  const withinPolicy = downForS < graceS && queued < queueLimit;
  return { healthy: withinPolicy, status: withinPolicy ? "degraded" : "down", mqtt: info };
}
