import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BrokerProcess } from "./broker-process.ts";

/** A real Mosquitto, with persistence so retained messages and persistent sessions' QoS 1 messages survive `restart()`. */
export class Mosquitto extends BrokerProcess {
  readonly kind = "mosquitto";
  readonly mqtt5 = true;

  private constructor(port: number, private readonly bin: string) {
    super(port, "evse2mqtt-mosq-");
    writeFileSync(
      join(this.dir, "mosquitto.conf"),
      [
        `listener ${port} 127.0.0.1`,
        "allow_anonymous true",
        // Started as root, mosquitto would switch to its own user and could not write the
        // persistence file into our private temp dir (no effect when not root).
        "user root",
        "persistence true",
        `persistence_location ${this.dir}/`,
        "autosave_interval 0",
        "log_dest none",
        "max_queued_messages 100000",
        "",
      ].join("\n"),
    );
  }

  static async start(port: number, bin: string): Promise<Mosquitto> {
    const m = new Mosquitto(port, bin);
    await m.launch();
    return m;
  }

  protected argv(): string[] {
    return [this.bin, "-c", join(this.dir, "mosquitto.conf")];
  }
}

// Tests written before ports.ts took freePort from here.
export { freePort } from "./ports.ts";
