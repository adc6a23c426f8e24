// The small part of BER the GOOSE PDU needs (spec §6.3): one-byte tags, definite lengths in short
// form or long form with one or two length bytes.

export interface Tlv {
  tag: number;
  value: Uint8Array;
}

export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  throw new RangeError(`BER length ${n} is too large for a GOOSE frame`);
}

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const len = encodeLength(value.length);
  const out = new Uint8Array(1 + len.length + value.length);
  out[0] = tag;
  out.set(len, 1);
  out.set(value, 1 + len.length);
  return out;
}

/** Unsigned big-endian integer in exactly `width` bytes. */
export function uint(value: number, width: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * width)) throw new RangeError(`${value} does not fit in ${width} unsigned bytes`);
  const out = new Uint8Array(width);
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

export function readUint(b: Uint8Array): number {
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

/** Splits `bytes` into consecutive TLVs; a string says what is wrong and where. */
export function readTlvs(bytes: Uint8Array): Tlv[] | string {
  const out: Tlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at] ?? 0;
    const first = bytes[at + 1];
    if (first === undefined) return `TLV at ${at} has no length`;
    let len = first;
    let head = 2;
    if (first === 0x81 || first === 0x82) {
      const n = first & 0x7f;
      if (at + 2 + n > bytes.length) return `TLV at ${at} has a cut-off length`;
      len = readUint(bytes.subarray(at + 2, at + 2 + n));
      head = 2 + n;
    } else if (first >= 0x80) {
      return `TLV at ${at} has an unsupported length form 0x${first.toString(16)}`;
    }
    if (at + head + len > bytes.length) return `TLV 0x${tag.toString(16)} at ${at} claims ${len} bytes, only ${bytes.length - at - head} left`;
    out.push({ tag, value: bytes.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return out;
}
