// What the MQTT link (lib/mqtt.ts) takes and hands out, apart from the link itself: its settings,
// a message on its way to the broker, and a subscription's handler.
export interface MqttSettings {
  url: string;
  client_id: string;
  username?: string | undefined;
  password?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  reject_unauthorized: boolean;
  base_topic: string;
  queue_limit: number;
  keepalive_s: number;
  reconnect_min_s: number;
  reconnect_max_s: number;
}

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1;
}

export type MessageHandler = (topic: string, payload: Uint8Array) => void;

/** One message on its way to the broker. */
export interface Publish extends PublishOptions {
  topic: string;
  payload: string | Uint8Array;
}
