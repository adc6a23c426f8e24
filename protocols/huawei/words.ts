// Register data encoding (spec §2): big-endian words and bytes ("ABCD"), ASCII strings padded with
// 0x00, raw byte fields with byte k in the high byte of register k/2 for even k.
import { SecretBytes } from "./secret.ts";

export type FieldType =
  | { readonly kind: "u16" }
  | { readonly kind: "u32" }
  | { readonly kind: "f32" }
  | { readonly kind: "f64" }
  | { readonly kind: "string"; readonly bytes: number }
  | { readonly kind: "bytes"; readonly bytes: number }
  /** Like `bytes`, but the value is wrapped so it can never be printed (the HMAC key). */
  | { readonly kind: "secret"; readonly bytes: number };

export type ValueOf<T extends FieldType> = T extends { kind: "string" }
  ? string
  : T extends { kind: "bytes" }
    ? Uint8Array
    : T extends { kind: "secret" }
      ? SecretBytes
      : number;

export type FieldValue = number | string | Uint8Array | SecretBytes;

export const U16 = { kind: "u16" } as const;
export const U32 = { kind: "u32" } as const;
export const F32 = { kind: "f32" } as const;
export const F64 = { kind: "f64" } as const;
export const str = (bytes: number) => ({ kind: "string", bytes }) as const;
export const raw = (bytes: number) => ({ kind: "bytes", bytes }) as const;
export const secret = (bytes: number) => ({ kind: "secret", bytes }) as const;

/** Number of 16-bit registers a field occupies. */
export function wordCount(t: FieldType): number {
  switch (t.kind) {
    case "u16": return 1;
    case "u32": return 2;
    case "f32": return 2;
    case "f64": return 4;
    default: return Math.ceil(t.bytes / 2);
  }
}

export function wordsToBytes(words: Uint16Array): Uint8Array {
  const out = new Uint8Array(words.length * 2);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint16(i * 2, w));
  return out;
}

/** Big-endian bytes → words; an odd trailing byte becomes the high byte of a last word. */
export function bytesToWords(bytes: Uint8Array): Uint16Array {
  const out = new Uint16Array(Math.ceil(bytes.length / 2));
  for (let i = 0; i < bytes.length; i++) {
    const idx = i >> 1;
    out[idx] = (out[idx] ?? 0) | ((bytes[i] ?? 0) << (i % 2 === 0 ? 8 : 0));
  }
  return out;
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new RangeError(what);
}

/** Value → register words. Throws RangeError naming what was expected (never echoing a secret). */
export function encodeValue<T extends FieldType>(t: T, value: ValueOf<T>): Uint16Array;
export function encodeValue(t: FieldType, value: FieldValue): Uint16Array {
  const n = wordCount(t);
  const bytes = new Uint8Array(n * 2);
  const view = new DataView(bytes.buffer);
  switch (t.kind) {
    case "u16":
      check(typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff, `expected an integer 0..65535, got ${String(value)}`);
      view.setUint16(0, Number(value));
      break;
    case "u32":
      check(typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `expected an integer 0..4294967295, got ${String(value)}`);
      view.setUint32(0, Number(value));
      break;
    case "f32":
    case "f64":
      check(typeof value === "number" && !Number.isNaN(value), `expected a number, got ${String(value)}`);
      if (t.kind === "f32") view.setFloat32(0, Number(value));
      else view.setFloat64(0, Number(value));
      break;
    case "string": {
      check(typeof value === "string", "expected a string");
      const s = String(value);
      check(s.length <= t.bytes, `expected at most ${t.bytes} characters, got ${s.length}`);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        check(c >= 0x01 && c <= 0x7f, `expected ASCII text, found character code ${c} at ${i}`);
        bytes[i] = c;
      }
      break;
    }
    case "bytes":
    case "secret": {
      const b = value instanceof SecretBytes ? value.reveal() : value instanceof Uint8Array ? value : undefined;
      check(b !== undefined && (t.kind === "secret") === value instanceof SecretBytes, `expected ${t.kind === "secret" ? "a secret" : "a byte array"}`);
      check(b !== undefined && b.length === t.bytes, `expected exactly ${t.bytes} bytes, got ${b?.length ?? 0}`);
      if (b) bytes.set(b);
      break;
    }
  }
  return bytesToWords(bytes);
}

/** Register words → value. `words` must hold exactly wordCount(t) words (shorter is zero-filled). */
export function decodeValue<T extends FieldType>(t: T, words: Uint16Array): ValueOf<T>;
export function decodeValue(t: FieldType, words: Uint16Array): FieldValue {
  const full = new Uint16Array(wordCount(t));
  full.set(words.subarray(0, full.length));
  const bytes = wordsToBytes(full);
  const view = new DataView(bytes.buffer);
  switch (t.kind) {
    case "u16": return view.getUint16(0);
    case "u32": return view.getUint32(0);
    case "f32": return view.getFloat32(0);
    case "f64": return view.getFloat64(0);
    case "string": {
      const field = bytes.subarray(0, t.bytes);
      const end = field.indexOf(0);
      let s = "";
      for (const b of end < 0 ? field : field.subarray(0, end)) s += String.fromCharCode(b);
      return s;
    }
    case "bytes": return bytes.slice(0, t.bytes);
    case "secret": return new SecretBytes(bytes.subarray(0, t.bytes));
  }
}
