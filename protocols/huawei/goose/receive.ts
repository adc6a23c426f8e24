// What the dispenser does with a received GOOSE frame (spec §6.4).
import type { SecretBytes } from "../secret.ts";
import { DATASET, messageOf, type PowerRequestReply } from "./datasets.ts";
import { decodeFrame, verifyFrame } from "./frame.ts";
import { decodeGoosePdu } from "./pdu.ts";

export interface ReceivePolicy {
  /** The dispenser's own MAC: frames from it are our own echo. */
  ownMac: Uint8Array;
  /** Accept unsigned replies (`allow_insecure_goose`); has no effect while `verifySigned` is on. */
  allowInsecure: boolean;
  /** Check the HMAC of replies with the connector's key (`verify_secure_goose`). */
  verifySigned: boolean;
  /**
   * The connector with this global number: whether it is ours, and its key if the PSU sent one.
   * Keys are only looked up, never copied into the result.
   */
  connector(globalNumber: number): { key: SecretBytes | undefined } | undefined;
}

export type Received =
  | { accepted: true; reply: PowerRequestReply; signed: boolean }
  /** `ignored` frames are normal traffic (our own echo); the others deserve a debug line. */
  | { accepted: false; ignored: boolean; reason: string };

const reject = (reason: string): Received => ({ accepted: false, ignored: false, reason });

export function receiveFrame(bytes: Uint8Array, policy: ReceivePolicy): Received {
  const frame = decodeFrame(bytes);
  if (typeof frame === "string") return reject(frame);
  if (frame.source.every((b, i) => b === policy.ownMac[i])) return { accepted: false, ignored: true, reason: "our own frame" };
  // The signed form is tried first; the plain form only when allowed.
  if (!frame.signed && !policy.allowInsecure) return reject("unsigned frame and insecure GOOSE is not allowed");
  const pdu = decodeGoosePdu(frame.pdu);
  if (typeof pdu === "string") return reject(pdu);
  if (pdu.goId !== DATASET.powerRequestReply) return reject(`goID ${JSON.stringify(pdu.goId)} is not ${DATASET.powerRequestReply}`);
  const reply = messageOf(pdu);
  if (typeof reply === "string") return reject(reply);
  if (reply.dataset !== "PowerRequestReply") return reject(`dataset ${reply.dataset} under the reply goID`);
  const connector = policy.connector(reply.connector);
  if (!connector) return reject(`reply for global connector ${reply.connector}, which is not on this dispenser`);
  if (policy.verifySigned) {
    if (!frame.signed) return reject(`unsigned reply for connector ${reply.connector} while HMAC verification is on`);
    if (!connector.key) return reject(`signed reply for connector ${reply.connector}, which has no key yet`);
    if (!verifyFrame(frame, connector.key)) return reject(`HMAC of the reply for connector ${reply.connector} does not match its key`);
  }
  return { accepted: true, reply, signed: frame.signed };
}
