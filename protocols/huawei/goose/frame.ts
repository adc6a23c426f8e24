// Ethernet framing of GOOSE (spec §6.1) with Huawei's security extension (§6, §7): reserved 1 holds
// the trailer length 0x23, reserved 2 a CRC-16 of the header, and a 35-byte trailer `AD 00 20` +
// HMAC-SHA256 follows the PDU. The length field does not count the trailer.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SecretBytes } from "../secret.ts";
import { uint } from "./ber.ts";
import { crc16Modbus } from "./crc16.ts";
import { joinBytes } from "../../../lib/bytes.ts";

export const ETHERTYPE_GOOSE = 0x88b8;
export const ETHERTYPE_VLAN = 0x8100;
/** Priority 5, VLAN 0, as the library sends. Huawei's own capture uses 0xA0C8 (VLAN 200). */
export const DEFAULT_TCI = 0xa000;
export const TRAILER_HEAD = Uint8Array.of(0xad, 0x00, 0x20);
export const TRAILER_LENGTH = 35;
/** Ethernet frames are at least 60 bytes (without FCS); shorter ones are padded on send. */
export const MIN_FRAME = 60;

export interface GooseFrame {
  destination: Uint8Array;
  source: Uint8Array;
  /** 802.1Q TCI, or null for a frame without tag (as Linux delivers them after VLAN offload). */
  tci: number | null;
  appId: number;
  /** The BER goosePdu. */
  pdu: Uint8Array;
}

export interface DecodedFrame extends GooseFrame {
  signed: boolean;
  reserved1: number;
  reserved2: number;
  /** The 32-byte HMAC of a signed frame. */
  hmac: Uint8Array | null;
  /** The bytes the HMAC covers: ethertype, then APPID up to the end of the PDU. */
  authenticated: Uint8Array;
}

function hmacOf(key: SecretBytes, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key.reveal()).update(data).digest());
}

function mac(b: Uint8Array, what: string): Uint8Array {
  if (b.length !== 6) throw new RangeError(`${what} MAC must be 6 bytes, got ${b.length}`);
  return b;
}

/** Frame → bytes; with a key the frame is signed. Plain frames are padded to 60 bytes. */
export function encodeFrame(f: GooseFrame, key?: SecretBytes): Uint8Array {
  const length = 8 + f.pdu.length;
  const reserved1 = key ? TRAILER_LENGTH : 0;
  const headerForCrc = joinBytes([uint(ETHERTYPE_GOOSE, 2), uint(f.appId, 2), uint(length, 2), uint(reserved1, 2)]);
  const reserved2 = key ? crc16Modbus(headerForCrc) : 0;
  const body = joinBytes([headerForCrc.subarray(2), uint(reserved2, 2), f.pdu]);
  const tag = f.tci === null ? new Uint8Array(0) : joinBytes([uint(ETHERTYPE_VLAN, 2), uint(f.tci, 2)]);
  const parts = [mac(f.destination, "destination"), mac(f.source, "source"), tag, uint(ETHERTYPE_GOOSE, 2), body];
  if (key) parts.push(TRAILER_HEAD, hmacOf(key, joinBytes([uint(ETHERTYPE_GOOSE, 2), body])));
  const out = joinBytes(parts);
  if (out.length >= MIN_FRAME) return out;
  const padded = new Uint8Array(MIN_FRAME);
  padded.set(out);
  return padded;
}

/** Bytes → frame, with or without an 802.1Q tag, signed or plain. A string says what is wrong. */
export function decodeFrame(bytes: Uint8Array): DecodedFrame | string {
  if (bytes.length < 14) return `frame of ${bytes.length} bytes is shorter than an Ethernet header`;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let tci: number | null = null;
  if (v.getUint16(12) === ETHERTYPE_VLAN) {
    if (bytes.length < 18) return "VLAN-tagged frame cut off in its header";
    tci = v.getUint16(14);
    at = 16;
  }
  const ethertype = v.getUint16(at);
  if (ethertype !== ETHERTYPE_GOOSE) return `ethertype 0x${ethertype.toString(16)}, expected 0x88b8`;
  const start = at + 2;
  if (bytes.length < start + 8) return "GOOSE header cut off";
  const appId = v.getUint16(start);
  const length = v.getUint16(start + 2);
  const reserved1 = v.getUint16(start + 4);
  const reserved2 = v.getUint16(start + 6);
  if (length < 8) return `GOOSE length ${length} is shorter than its own header`;
  const end = start + length;
  if (end > bytes.length) return `GOOSE length ${length} runs past the frame (${bytes.length - start} bytes)`;
  const authenticated = joinBytes([uint(ETHERTYPE_GOOSE, 2), bytes.subarray(start, end)]);
  const crcOk = crc16Modbus(authenticated.subarray(0, 8)) === reserved2;
  const signed = (reserved1 & 0xff) >= 32 && crcOk;
  let hmac: Uint8Array | null = null;
  if (signed) {
    const trailerLength = reserved1 & 0xff;
    const trailer = bytes.subarray(end, end + trailerLength);
    if (trailerLength !== TRAILER_LENGTH || trailer.length !== TRAILER_LENGTH || trailer.subarray(0, 3).some((b, i) => b !== TRAILER_HEAD[i])) {
      return `signed frame with a malformed security trailer (${trailer.length} of ${trailerLength} bytes)`;
    }
    hmac = trailer.slice(3);
  }
  return {
    destination: bytes.slice(0, 6),
    source: bytes.slice(6, 12),
    tci,
    appId,
    pdu: bytes.slice(start + 8, end),
    signed,
    reserved1,
    reserved2,
    hmac,
    authenticated,
  };
}

/** True when the frame is signed and its HMAC matches `key` (constant-time compare). */
export function verifyFrame(f: DecodedFrame, key: SecretBytes): boolean {
  if (!f.signed || !f.hmac) return false;
  const expected = hmacOf(key, f.authenticated);
  return expected.length === f.hmac.length && timingSafeEqual(expected, f.hmac);
}
