// Bytes ⇄ typed messages, both directions, as stream transformers. The charger side's data layout
// depends on the firmware announced in the handshake, which the decoder reads first.
import { ProtocolError } from "../../lib/errors.ts";
import type { Codec } from "../../lib/link.ts";
import { decodeHandshake, FrameReader, HANDSHAKE_LENGTH, type Handshake, KNOWN_CHARGER_TYPES, MAX_CHARGER_PAYLOAD, Resp } from "./framing.ts";
import { decodeChargerFrame, encodeRequest, type ChargerMessage, type ServerRequest } from "./wire.ts";
import type { Step } from "../../lib/transform.ts";

/** What the bridge reads from a charger. */
export type ChargerItem =
  | { kind: "handshake"; handshake: Handshake }
  | { kind: "message"; message: ChargerMessage }
  /** A frame whose payload is bad; framing still holds. `replyTo` names the reply it was meant to be. */
  | { kind: "bad"; error: ProtocolError; replyTo: ChargerMessage["type"] | undefined }
  /** Framing is lost: nothing after this can be trusted, the connection must close. */
  | { kind: "fatal"; error: ProtocolError };

const REPLY_OF_TYPE: Partial<Record<number, ChargerMessage["type"]>> = {
  [Resp.pong]: "pong",
  [Resp.data]: "data",
  [Resp.pwmAck]: "pwm_ack",
  [Resp.contactorAck]: "contactor_ack",
};

/** Charger bytes → handshake, then typed messages; a bad payload is an item, lost framing ends the stream. */
export function chargerDecoder(): Step<Uint8Array, ChargerItem> {
  const reader = new FrameReader(MAX_CHARGER_PAYLOAD, KNOWN_CHARGER_TYPES, "charger");
  let handshake: Handshake | undefined;
  let dead = false;
  return ({
    transform(chunk, controller) {
      if (dead) return;
      reader.push(chunk);
      if (!handshake) {
        const raw = reader.takeRaw(HANDSHAKE_LENGTH);
        if (!raw) return;
        handshake = decodeHandshake(raw);
        controller.enqueue({ kind: "handshake", handshake });
      }
      try {
        for (let f = reader.next(); f; f = reader.next()) {
          try {
            controller.enqueue({ kind: "message", message: decodeChargerFrame(f, handshake.firmware) });
          } catch (err) {
            const error = err instanceof ProtocolError ? err : new ProtocolError(String(err));
            controller.enqueue({ kind: "bad", error, replyTo: REPLY_OF_TYPE[f.type] });
          }
        }
      } catch (err) {
        dead = true;
        controller.enqueue({ kind: "fatal", error: err instanceof ProtocolError ? err : new ProtocolError(String(err), true) });
      }
    },
  });
}

/** Requests → bytes. A request that cannot be encoded never reaches the wire (the exchange reports it). */
export function requestEncoder(): Step<ServerRequest, Uint8Array> {
  return ({
    transform: (req, controller) => controller.enqueue(encodeRequest(req)),
  });
}

/** The bridge's side of a Dehne connection. */
export const dehneCodec: Codec<ChargerItem, ServerRequest> = { decoder: chargerDecoder, encoder: requestEncoder };
