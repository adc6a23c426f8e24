// The compatible layout of dehneevse-mqtt-bridge: every charger frame as JSON on `from_dehneEVSE`,
// commands from `to_dehneEVSE`. Commands run through the charger's action table, so they pass the
// same checks and limits as `/request`.
import { z } from "zod";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { MqttLink } from "../../lib/mqtt.ts";
import { formatZodError } from "../../lib/zod-format.ts";
import { type CompatCommand, compatCommandSchema, type CompatMessage } from "./compat-messages.ts";
import type { DehneConfig } from "./config.ts";

/** What a compatible command needs of a charger: its `/request` entry point. */
export interface CompatTarget {
  request(action: string, args: Record<string, unknown>): Promise<unknown>;
}

const ACTION_OF: { [T in CompatCommand["message_type"]]: string } = {
  request_ping: "ping",
  request_data_collection: "collect_data",
  request_set_pwm_percent: "set_pwm_percent",
  request_set_contactor_state: "set_contactor_state",
  request_firmware: "firmware",
};

function argsOf(c: CompatCommand): Record<string, unknown> {
  switch (c.message_type) {
    case "request_set_pwm_percent":
      return { pwm_percent: c.pwm_percent };
    case "request_set_contactor_state":
      return { contactor_state: c.contactor_state };
    case "request_firmware":
      return { ...c.firmware };
    default:
      return {};
  }
}

/** What can be told of a command that failed validation, for the error reply. */
const roughly = z.object({ client_id: z.string().optional().catch(undefined), message_type: z.unknown() }).catch({ client_id: undefined, message_type: undefined });

export class DehneCompat {
  private readonly out: WritableStreamDefaultWriter<{ topic: string; payload: string }>;

  constructor(private mqtt: MqttLink, private cfg: DehneConfig, private log: Logger, private byClientId: (id: string) => CompatTarget | undefined) {
    this.out = mqtt.sink().getWriter();
  }

  start(): void {
    this.mqtt.subscribe(this.cfg.topic_subscribe, (_t, payload) => void this.onCommand(payload));
  }

  /** Resolves once MQTT has taken the message (the session's back-pressure). */
  publish(m: CompatMessage): Promise<void> {
    return this.out.write({ topic: this.cfg.topic_publish, payload: JSON.stringify(m) }).catch(() => {});
  }

  private async onCommand(payload: Uint8Array): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return this.error(undefined, `payload is not valid JSON (${payload.length} bytes)`);
    }
    const { client_id: clientId, message_type: type } = roughly.parse(json);
    const parsed = compatCommandSchema.safeParse(json);
    if (!parsed.success) {
      const known = ["new_connection", "notify", "disconnected", "error"].includes(String(type)) || String(type).startsWith("response_");
      const why = known ? `message_type "${String(type)}" goes from charger to MQTT; it is not a command` : formatZodError(parsed.error);
      return this.error(clientId, why);
    }
    const cmd = parsed.data;
    const target = this.byClientId(cmd.client_id);
    if (!target) return this.error(cmd.client_id, `no connected charger with client_id "${cmd.client_id}"`);
    try {
      await target.request(ACTION_OF[cmd.message_type], argsOf(cmd));
    } catch (err) {
      this.error(cmd.client_id, errorMessage(err));
    }
  }

  private error(clientId: string | undefined, error: string): void {
    this.log.warn("dehne command refused", { charger: clientId, error });
    void this.publish({ message_type: "error", client_id: clientId ?? "", error });
  }
}
