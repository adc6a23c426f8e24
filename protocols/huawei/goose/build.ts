// One outgoing GOOSE frame from a typed message, the retransmission counters and the clock.
import type { SecretBytes } from "../secret.ts";
import { appIdOf, messagePdu, type GooseMessage } from "./datasets.ts";
import { DEFAULT_TCI, encodeFrame } from "./frame.ts";
import { encodeGoosePdu, gooseTime } from "./pdu.ts";
import type { Send } from "./retransmit.ts";

export interface Addressing {
  /** The PSU MAC from register 0x2111. */
  destination: Uint8Array;
  /** The dispenser's interface MAC (also in 0x114D+o). */
  source: Uint8Array;
  /** 802.1Q TCI; DEFAULT_TCI (priority 5, VLAN 0) unless configured. */
  tci?: number;
}

/** Signed when a key is given (send_secure_goose), plain otherwise. */
export function buildFrame(message: GooseMessage, send: Send, nowMs: number, to: Addressing, key?: SecretBytes): Uint8Array {
  const pdu = encodeGoosePdu(messagePdu(message, { timestamp: gooseTime(nowMs), stNum: send.stNum, sqNum: send.sqNum }));
  return encodeFrame({ destination: to.destination, source: to.source, tci: to.tci ?? DEFAULT_TCI, appId: appIdOf(message), pdu }, key);
}
