import { fileURLToPath } from "node:url";
import { BrokerProcess } from "./broker-process.ts";

const MAIN = fileURLToPath(new URL("./aedes-broker-main.ts", import.meta.url));
// The tests' own runtime (Bun); a helper run under Deno still starts the broker with the project's Bun.
const RUNTIME = process.versions.bun ? process.execPath : fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));

/**
 * The aedes broker from the project's own dependencies, in its own process (run by the same
 * runtime as the tests) so it can be stopped and restarted like Mosquitto; it persists retained
 * messages and persistent sessions to disk (see file-persistence.ts).
 */
export class AedesBroker extends BrokerProcess {
  readonly kind = "aedes";
  readonly mqtt5 = false;

  private constructor(port: number) {
    super(port, "evse2mqtt-aedes-");
  }

  static async start(port: number): Promise<AedesBroker> {
    const b = new AedesBroker(port);
    await b.launch();
    return b;
  }

  protected argv(): string[] {
    return [RUNTIME, MAIN, String(this.port), this.dir];
  }
}
