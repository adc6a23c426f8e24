import { AedesBroker } from "./aedes-broker.ts";
import type { TestBroker } from "./broker-process.ts";
import { findExecutable, noticeOnce } from "./executables.ts";
import { Mosquitto } from "./mosquitto.ts";
import { freePort } from "./ports.ts";

export type { TestBroker } from "./broker-process.ts";

export type BrokerChoice = { kind: "mosquitto"; bin: string } | { kind: "aedes"; why: string };

// Debian installs mosquitto into /usr/sbin, which is not on every user's PATH.
const MOSQUITTO_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/bin"];

/**
 * Which broker the tests run against. EVSE2MQTT_TEST_BROKER: unset or "auto" = Mosquitto when it
 * is on the PATH, else aedes; "mosquitto" = Mosquitto or fail; "aedes" = aedes even where
 * Mosquitto exists.
 */
export function chooseBroker(env: Record<string, string | undefined>, mosquittoDirs = MOSQUITTO_DIRS): BrokerChoice {
  const wanted = env.EVSE2MQTT_TEST_BROKER ?? "auto";
  if (wanted === "aedes") return { kind: "aedes", why: "EVSE2MQTT_TEST_BROKER=aedes" };
  if (wanted === "mosquitto") {
    const bin = findExecutable("mosquitto", mosquittoDirs, env.PATH);
    if (!bin) {
      throw new Error(`EVSE2MQTT_TEST_BROKER=mosquitto, but no mosquitto executable is on the PATH or in ${mosquittoDirs.join(", ")} (apt-get install -y mosquitto)`);
    }
    return { kind: "mosquitto", bin };
  }
  if (wanted !== "auto" && wanted !== "") throw new Error(`EVSE2MQTT_TEST_BROKER must be "mosquitto", "aedes" or "auto", not "${wanted}"`);
  const bin = findExecutable("mosquitto", [], env.PATH);
  return bin ? { kind: "mosquitto", bin } : { kind: "aedes", why: "no mosquitto on the PATH" };
}

/** A real broker on a free loopback port: the one chooseBroker picks (said once per run), or the one given. */
export async function startBroker(given?: BrokerChoice): Promise<TestBroker> {
  const choice = given ?? announced(chooseBroker(process.env));
  const port = await freePort();
  return choice.kind === "mosquitto" ? Mosquitto.start(port, choice.bin) : AedesBroker.start(port);
}

function announced(choice: BrokerChoice): BrokerChoice {
  noticeOnce(
    "broker",
    choice.kind === "mosquitto"
      ? `test broker: Mosquitto (${choice.bin})`
      : `test broker: aedes in a child process, persisting to disk (${choice.why}; EVSE2MQTT_TEST_BROKER=mosquitto requires Mosquitto)`,
  );
  return choice;
}
