// The simulated PSU's GOOSE side (spec §11): frames addressed to its MAC are checked against the
// constant key; a PowerRequest of type 1 (module placeholder) is answered at once with a signed
// PowerRequestReply (SUCCESS, other fields copied, stNum and sqNum 0); everything is recorded.
import type { Logger } from "../../../lib/log.ts";
import { openRawEthernet, type RawEthernet } from "../../../lib/raw-ethernet.ts";
import { buildFrame } from "../goose/build.ts";
import { messageOf, ReplyResult, Requirement, type PowerRequest, type PowerRequestReply, type ShutdownRequest } from "../goose/datasets.ts";
import { decodeFrame, ETHERTYPE_GOOSE, verifyFrame } from "../goose/frame.ts";
import { decodeGoosePdu } from "../goose/pdu.ts";
import { SecretBytes } from "../secret.ts";

export interface SeenRequest {
  message: PowerRequest | ShutdownRequest;
  stNum: number;
  sqNum: number;
  /** The HMAC matched the key. */
  verified: boolean;
  /** When it was read from the socket (ms, wall clock). */
  at: number;
}

export class GooseResponder {
  readonly seen: SeenRequest[] = [];
  replies = 0;
  refused = 0;
  /** Latest PowerRequest per global connector (what the PSU would deliver). */
  readonly lastPower = new Map<number, PowerRequest>();

  private constructor(private readonly raw: RawEthernet, private readonly key: SecretBytes, private readonly log: Logger) {
    raw.onFrame((f) => this.receive(f));
  }

  static async open(iface: string, key: Uint8Array, log: Logger): Promise<GooseResponder> {
    return new GooseResponder(await openRawEthernet({ interface: iface, ethertype: ETHERTYPE_GOOSE }), new SecretBytes(key), log);
  }

  get mac(): Uint8Array {
    return this.raw.mac;
  }

  /** Charging power (W) of the latest charging request on `global`, 0 otherwise. */
  powerOn(global: number): number {
    const p = this.lastPower.get(global);
    return p && p.requirement === Requirement.charging ? p.voltage * p.current : 0;
  }

  close(): void {
    this.raw.close();
  }

  private receive(bytes: Uint8Array): void {
    const f = decodeFrame(bytes);
    if (typeof f === "string" || !f.destination.every((b, i) => b === this.raw.mac[i])) return;
    const pdu = decodeGoosePdu(f.pdu);
    const m = typeof pdu === "string" ? pdu : messageOf(pdu);
    if (typeof pdu === "string" || typeof m === "string" || m.dataset === "PowerRequestReply") {
      this.refused++;
      return;
    }
    const verified = verifyFrame(f, this.key);
    this.seen.push({ message: m, stNum: pdu.stNum, sqNum: pdu.sqNum, verified, at: Date.now() });
    if (this.seen.length > 10_000) this.seen.splice(0, 5_000);
    if (!verified) {
      this.refused++;
      this.log.warn("simulated PSU: GOOSE frame with a wrong or missing HMAC ignored", { dataset: m.dataset });
      return;
    }
    if (m.dataset === "ShutdownRequest") {
      this.lastPower.delete(m.connector);
      return;
    }
    this.lastPower.set(m.connector, m);
    if (m.requirement !== Requirement.modulePlaceholder) return;
    const reply: PowerRequestReply = { dataset: "PowerRequestReply", connector: m.connector, chargingSn: m.chargingSn, requirement: m.requirement, result: ReplyResult.success, mode: m.mode, voltage: m.voltage, current: m.current };
    this.raw.send(buildFrame(reply, { stNum: 0, sqNum: 0 }, Date.now(), { destination: f.source, source: this.raw.mac }, this.key));
    this.replies++;
  }
}
