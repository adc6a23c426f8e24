import { afterAll, beforeAll } from "bun:test";
import { startBroker, type TestBroker } from "./broker.ts";
import { MqttProbe } from "./mqtt-probe.ts";

export interface FileBroker {
  readonly broker: TestBroker;
  readonly url: string;
  /** Subscribed to the filters given; throws when none were. */
  readonly probe: MqttProbe;
}

/** One real broker (Mosquitto or aedes, see broker.ts) and optionally one probe for a whole test file: started before its tests, disposed after. */
export function brokerForFile(opts: { probe?: string[]; timeoutMs?: number } = {}): FileBroker {
  let broker: TestBroker | undefined;
  let probe: MqttProbe | undefined;
  beforeAll(async () => {
    broker = await startBroker();
    if (opts.probe) probe = await MqttProbe.connect(broker.url, opts.probe);
  }, opts.timeoutMs);
  afterAll(async () => {
    await probe?.close();
    await broker?.dispose();
  }, opts.timeoutMs);
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not started (used outside a test, or no probe filters given)`);
    return v;
  };
  return {
    get broker() {
      return need(broker, "broker");
    },
    get url() {
      return need(broker, "broker").url;
    },
    get probe() {
      return need(probe, "probe");
    },
  };
}
