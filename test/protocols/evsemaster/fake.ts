// A hand-driven UDP host for tests: plays a charger or a LAN attacker with any serial, from any
// loopback address (127.0.0.2 is "another host" on Linux), and records what the bridge sends it.

import dgram from "node:dgram";
import { decodeAppPacket, encodeEvse, type AppMessage, type EvseMessage } from "../../../protocols/evsemaster/codec.ts";
import { SimState, MODELS } from "../../../protocols/evsemaster/sim/model.ts";
import { until } from "../../support/until.ts";

/** A serial the tests configure (with a PIN) only to use as a sentinel: a beacon of it gets a RequestLogin. */
export const SENTINEL = "5e5e000000000001";
export const SENTINEL_CHARGER = { serial: SENTINEL, password: "000000" };

export interface Heard {
  serial: string;
  password: string;
  message: AppMessage;
}

export class FakeHost {
  readonly heard: Heard[] = [];
  private constructor(private readonly sock: dgram.Socket, private readonly bridgePort: number) {
    sock.on("message", (buf) => {
      for (const r of decodeAppPacket(new Uint8Array(buf))) {
        if (r.ok) this.heard.push({ serial: r.frame.serial, password: new TextDecoder().decode(r.frame.password), message: r.message });
      }
    });
  }

  static open(address: string, bridgePort: number): Promise<FakeHost> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket("udp4");
      s.once("error", reject);
      s.bind(0, address, () => resolve(new FakeHost(s, bridgePort)));
    });
  }

  get port(): number {
    return this.sock.address().port;
  }

  send(serial: string, m: EvseMessage): Promise<void> {
    return new Promise((resolve) => this.sock.send(encodeEvse(serial, m), this.bridgePort, "127.0.0.1", () => resolve()));
  }

  count(type: AppMessage["type"]): number {
    return this.heard.filter((h) => h.message.type === type).length;
  }

  async waitFor(type: AppMessage["type"], timeoutMs = 3000, serial?: string): Promise<Heard> {
    const match = (x: Heard) => x.message.type === type && (serial === undefined || x.serial === serial);
    await until(() => this.heard.some(match), `${type} from the bridge (heard: ${this.heard.map((x) => x.message.type).join(", ")})`, timeoutMs);
    const h = this.heard.find(match);
    if (!h) throw new Error(`no ${type}`);
    return h;
  }

  /**
   * Beacons SENTINEL (configured with a PIN in the test) and waits for the bridge's RequestLogin to
   * it. The bridge handles one host's datagrams in order and answers it through one link, so
   * whatever it would have sent this host in reply to anything sent before has arrived by then.
   */
  async sentinel(): Promise<void> {
    await this.send(SENTINEL, { type: "beacon", info: INFO });
    await this.waitFor("requestLogin", 5000, SENTINEL);
  }

  /** What the bridge sent this host, sentinel traffic left out. */
  heardBesidesSentinel(): Heard[] {
    return this.heard.filter((h) => h.serial !== SENTINEL);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}

export const INFO = MODELS.telestar!.info;
export const idleStatus = () => new SimState(MODELS.telestar!, true, 16).status();
