// Dehne-EVSE framing (spec dehne.md §2–§4): a 17-byte handshake, then frames of
// type u8 + length u32 BE + payload, back to back with no sync marker.
import { concatBytes } from "../../lib/bytes.ts";
import { ProtocolError } from "../../lib/errors.ts";

export const HANDSHAKE_LENGTH = 17;
export const HEADER_LENGTH = 5;
/** Largest charger→server payload: 44 fixed bytes + a full 1023-byte log buffer, plus one (spec G5). */
export const MAX_CHARGER_PAYLOAD = 1068;

/** Server → charger request types. */
export const Req = { ping: 1, firmware: 2, collect: 3, setPwm: 4, setContactor: 5 } as const;
/** Charger → server frame types. */
export const Resp = { pong: 1, data: 2, pwmAck: 3, contactorAck: 4, notify: 100 } as const;

export const KNOWN_CHARGER_TYPES = new Set<number>(Object.values(Resp));
const KNOWN_SERVER_TYPES = new Set<number>(Object.values(Req));

export interface Handshake {
  serial: string;
  firmware: number;
}

export interface Frame {
  type: number;
  payload: Uint8Array;
}

export type StreamItem =
  | { kind: "handshake"; handshake: Handshake }
  | { kind: "frame"; frame: Frame }
  /** Framing is lost; nothing after this can be trusted, so the stream ends here. */
  | { kind: "fatal"; error: ProtocolError };

export function serialToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s.toUpperCase();
}

export function hexToSerial(hex: string): Uint8Array {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) throw new ProtocolError(`serial must be 32 hex digits, got "${hex}"`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function decodeHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length !== HANDSHAKE_LENGTH) throw new ProtocolError(`handshake must be ${HANDSHAKE_LENGTH} bytes, got ${bytes.length}`, true);
  return { serial: serialToHex(bytes.subarray(0, 16)), firmware: bytes[16]! };
}

export function encodeHandshake(h: Handshake): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out.set(hexToSerial(h.serial));
  out[16] = h.firmware & 0xff;
  return out;
}

export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, type);
  view.setUint32(1, payload.length);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** Splits a byte stream into frames; knows nothing about what the frames mean. */
export class FrameReader {
  private buf = new Uint8Array(0);
  private failed = false;

  constructor(private readonly maxPayload: number, private readonly knownTypes: Set<number>, private readonly direction: string) {}

  /** Bytes not yet consumed (for tests of memory bounds). */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    this.buf = concatBytes(this.buf, chunk);
  }

  /** Takes exactly `n` raw bytes (the handshake) if they are there. */
  takeRaw(n: number): Uint8Array | undefined {
    if (this.buf.length < n) return undefined;
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Next complete frame, undefined when more bytes are needed; throws a fatal ProtocolError on bad framing. */
  next(): Frame | undefined {
    if (this.failed || this.buf.length < HEADER_LENGTH) return undefined;
    const view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const type = view.getUint8(0);
    const length = view.getUint32(1);
    if (!this.knownTypes.has(type)) {
      this.failed = true;
      throw new ProtocolError(`unknown ${this.direction} frame type ${type}; stream cannot be resynchronised`, true);
    }
    if (length > this.maxPayload) {
      this.failed = true;
      throw new ProtocolError(`${this.direction} frame length ${length} exceeds limit ${this.maxPayload}`, true);
    }
    if (this.buf.length < HEADER_LENGTH + length) return undefined;
    const payload = this.buf.slice(HEADER_LENGTH, HEADER_LENGTH + length);
    this.buf = this.buf.subarray(HEADER_LENGTH + length);
    return { type, payload };
  }
}

/** Bytes from a charger → handshake, then frames; a framing error ends the stream with a `fatal` item. */
export function chargerStreamDecoder(): TransformStream<Uint8Array, StreamItem> {
  const reader = new FrameReader(MAX_CHARGER_PAYLOAD, KNOWN_CHARGER_TYPES, "charger");
  let handshakeDone = false;
  let dead = false;
  return new TransformStream<Uint8Array, StreamItem>({
    transform(chunk, controller) {
      if (dead) return;
      reader.push(chunk);
      if (!handshakeDone) {
        const raw = reader.takeRaw(HANDSHAKE_LENGTH);
        if (!raw) return;
        handshakeDone = true;
        controller.enqueue({ kind: "handshake", handshake: decodeHandshake(raw) });
      }
      try {
        for (let f = reader.next(); f; f = reader.next()) controller.enqueue({ kind: "frame", frame: f });
      } catch (err) {
        dead = true;
        controller.enqueue({ kind: "fatal", error: err instanceof ProtocolError ? err : new ProtocolError(String(err), true) });
      }
    },
  });
}

/** Bytes from the server → frames (the simulator's side). Firmware images make these frames large. */
export function serverStreamDecoder(maxPayload = 4 * 1024 * 1024): TransformStream<Uint8Array, Frame | ProtocolError> {
  const reader = new FrameReader(maxPayload, KNOWN_SERVER_TYPES, "server");
  let dead = false;
  return new TransformStream<Uint8Array, Frame | ProtocolError>({
    transform(chunk, controller) {
      if (dead) return;
      reader.push(chunk);
      try {
        for (let f = reader.next(); f; f = reader.next()) controller.enqueue(f);
      } catch (err) {
        dead = true;
        controller.enqueue(err instanceof ProtocolError ? err : new ProtocolError(String(err), true));
      }
    },
  });
}
