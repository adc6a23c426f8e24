// OCPP-J framing (spec §2.1): every WebSocket text message is one JSON array. Over a MessageLink
// one chunk is one message, so the codec needs no resynchronisation: each chunk decodes on its own,
// and a malformed or oversized one comes out as a `BadFrame` value, never as an exception.
import type { Codec } from "../../lib/link.ts";
import type { Step } from "../../lib/transform.ts";

export const CALL = 2;
export const CALLRESULT = 3;
export const CALLERROR = 4;

export interface CallFrame {
  type: typeof CALL;
  id: string;
  action: string;
  payload: Record<string, unknown>;
}

export interface ResultFrame {
  type: typeof CALLRESULT;
  id: string;
  payload: Record<string, unknown>;
}

export interface ErrorFrame {
  type: typeof CALLERROR;
  id: string;
  code: string;
  description: string;
  details: Record<string, unknown>;
}

export type Frame = CallFrame | ResultFrame | ErrorFrame;

/**
 * A frame that could not be decoded. `id` is set when the unique id was readable, so the peer can
 * still be told (CALLERROR); `messageType` says what the frame claimed to be.
 */
export interface BadFrame {
  reason: string;
  raw: string;
  /** Which message of the connection it was (1 = the first), set by the stream decoder. */
  at?: number;
  id?: string;
  messageType?: number;
}

export type Decoded = { ok: true; frame: Frame } | { ok: false; bad: BadFrame };

/** 2.2: ids are at most 36 characters. */
export const MAX_ID_LENGTH = 36;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function bad(reason: string, raw: string, id?: string, messageType?: number): Decoded {
  const b: BadFrame = { reason, raw: raw.length > 500 ? raw.slice(0, 500) + "…" : raw };
  if (id !== undefined) b.id = id;
  if (messageType !== undefined) b.messageType = messageType;
  return { ok: false, bad: b };
}

export function decodeFrame(text: string): Decoded {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad("not valid JSON", text);
  }
  if (!Array.isArray(v)) return bad("not a JSON array", text);
  const [type, id] = v;
  if (typeof type !== "number") return bad("message type id is not a number", text);
  if (typeof id !== "string" || id.length === 0) return bad("unique id is not a non-empty string", text, undefined, type);
  // The id is kept so a CALL still gets its CALLERROR: a silent drop leaves the charger waiting.
  if (id.length > MAX_ID_LENGTH) return bad(`unique id longer than ${MAX_ID_LENGTH} characters`, text, id, type);
  switch (type) {
    case CALL: {
      if (v.length !== 4) return bad(`CALL must have 4 elements, got ${v.length}`, text, id, type);
      const [, , action, payload] = v;
      if (typeof action !== "string" || action.length === 0) return bad("action is not a non-empty string", text, id, type);
      if (!isRecord(payload)) return bad("CALL payload is not a JSON object", text, id, type);
      return { ok: true, frame: { type: CALL, id, action, payload } };
    }
    case CALLRESULT: {
      if (v.length !== 3) return bad(`CALLRESULT must have 3 elements, got ${v.length}`, text, id, type);
      const payload = v[2];
      if (!isRecord(payload)) return bad("CALLRESULT payload is not a JSON object", text, id, type);
      return { ok: true, frame: { type: CALLRESULT, id, payload } };
    }
    case CALLERROR: {
      if (v.length !== 5 && v.length !== 4) return bad(`CALLERROR must have 5 elements, got ${v.length}`, text, id, type);
      const [, , code, description, details] = v;
      if (typeof code !== "string") return bad("CALLERROR code is not a string", text, id, type);
      // Some chargers omit errorDetails or send null; the error itself is still worth reporting.
      return {
        ok: true,
        frame: {
          type: CALLERROR,
          id,
          code,
          description: typeof description === "string" ? description : "",
          details: isRecord(details) ? details : {},
        },
      };
    }
    default:
      return bad(`unknown message type id ${type}`, text, id, type);
  }
}

export function encodeFrame(f: Frame): string {
  switch (f.type) {
    case CALL:
      return JSON.stringify([CALL, f.id, f.action, f.payload]);
    case CALLRESULT:
      return JSON.stringify([CALLRESULT, f.id, f.payload]);
    case CALLERROR:
      return JSON.stringify([CALLERROR, f.id, f.code, f.description, f.details]);
  }
}

const utf8 = new TextEncoder();

/** One message (bytes) → a decoded frame; longer than `maxBytes` is a bad frame without parsing. */
export function frameDecoder(maxBytes = 65_536): Step<Uint8Array, Decoded> {
  const text = new TextDecoder();
  let n = 0;
  return ({
    transform(message, controller) {
      n++;
      const d = message.byteLength > maxBytes ? bad(`message longer than ${maxBytes} bytes`, text.decode(message.subarray(0, 200))) : decodeFrame(text.decode(message));
      if (!d.ok) d.bad.at = n;
      controller.enqueue(d);
    },
  });
}

export function frameEncoder(): Step<Frame, Uint8Array> {
  return ({ transform: (f, controller) => controller.enqueue(utf8.encode(encodeFrame(f))) });
}

/** Both ends of an OCPP-J connection (central system and simulator) use the same codec. */
export function ocppCodec(maxBytes = 65_536): Codec<Decoded, Frame> {
  return { decoder: () => frameDecoder(maxBytes), encoder: frameEncoder };
}
