// The MQTT JSON of the original dehneevse-mqtt-bridge (spec §5).
import { Buffer } from "node:buffer";
import { z } from "zod";
import type { ChargerMessage, DataResponse } from "./wire.ts";

export const CHARGER_TO_MQTT = [
  "new_connection",
  "notify",
  "response_ping",
  "response_collect_data",
  "response_set_pwm_percent",
  "response_set_contactor_state",
] as const;
export const MQTT_TO_CHARGER = [
  "request_ping",
  "request_data_collection",
  "request_firmware",
  "request_set_pwm_percent",
  "request_set_contactor_state",
] as const;

/** Field order is the original's (message_type, client_id, handshake, firmware, pwm_percent, contactor_state, measurements). */
export interface CompatMessage {
  message_type: string;
  client_id: string;
  handshake?: { firmware_version: number };
  firmware?: { firmware_data_base64: string; firmware_crc32: number };
  pwm_percent?: number;
  contactor_state?: boolean;
  measurements?: DataResponse["measurements"];
  /** Our extension (spec G3): why a command was refused. */
  error?: string;
}

const TYPE_NAMES: Record<ChargerMessage["type"], string> = {
  pong: "response_ping",
  data: "response_collect_data",
  pwm_ack: "response_set_pwm_percent",
  contactor_ack: "response_set_contactor_state",
  notify: "notify",
};

export function compatFromCharger(clientId: string, m: ChargerMessage): CompatMessage {
  const out: CompatMessage = { message_type: TYPE_NAMES[m.type], client_id: clientId };
  if (m.type === "data") {
    out.pwm_percent = m.data.pwm_percent;
    out.contactor_state = m.data.contactor_state;
    out.measurements = m.data.measurements;
  }
  return out;
}

export function compatNewConnection(clientId: string, firmware: number): CompatMessage {
  return { message_type: "new_connection", client_id: clientId, handshake: { firmware_version: firmware } };
}

const base64 = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "expected standard base64 with padding");

export const firmwareSchema = z.object({
  firmware_data_base64: base64.min(1, "firmware image is empty"),
  firmware_crc32: z.number().int().min(0).max(0xffffffff),
});

export function decodeBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "base64"));
}

export const pwmPercent = z.number({ error: "pwm_percent must be a number" }).int("pwm_percent must be an integer").min(0).max(100, "pwm_percent must be 0–100 (100 = charging not allowed)");
export const contactorState = z.boolean({ error: "contactor_state must be true or false" });

/** A command on `to_dehneEVSE`. Unknown extra fields are ignored, as the original does. */
export const compatCommandSchema = z.discriminatedUnion("message_type", [
  z.object({ message_type: z.literal("request_ping"), client_id: z.string() }),
  z.object({ message_type: z.literal("request_data_collection"), client_id: z.string() }),
  z.object({ message_type: z.literal("request_set_pwm_percent"), client_id: z.string(), pwm_percent: pwmPercent }),
  z.object({ message_type: z.literal("request_set_contactor_state"), client_id: z.string(), contactor_state: contactorState }),
  z.object({ message_type: z.literal("request_firmware"), client_id: z.string(), firmware: firmwareSchema }),
]);
export type CompatCommand = z.infer<typeof compatCommandSchema>;
