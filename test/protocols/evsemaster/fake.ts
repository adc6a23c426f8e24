// A hand-driven UDP host for tests: plays a charger or a LAN attacker with any serial, from any
// loopback address (127.0.0.2 is "another host" on Linux), and records what the bridge sends it.

import dgram from "node:dgram";
import { decodeAppPacket, encodeEvse, type AppMessage, type EvseMessage } from "../../../protocols/evsemaster/codec.ts";
import { SimState, MODELS } from "../../../protocols/evsemaster/sim/model.ts";
import { sleep } from "./rig.ts";

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

  async waitFor(type: AppMessage["type"], timeoutMs = 3000): Promise<Heard> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const h = this.heard.find((x) => x.message.type === type);
      if (h) return h;
      if (Date.now() > until) throw new Error(`no ${type} within ${timeoutMs} ms (heard: ${this.heard.map((x) => x.message.type).join(", ")})`);
      await sleep(10);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}

export const INFO = MODELS.telestar!.info;
export const idleStatus = () => new SimState(MODELS.telestar!, true, 16).status();
