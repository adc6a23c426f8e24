// The GOOSE PDU as the Huawei PSU and the EVerest library write it (spec §6.3): the usual IEC 61850
// field order, but allData entries are u16 (tag 0x86, 2 bytes) and float32 (tag 0x87, 4 bytes,
// no exponent-width byte), and the strings carry a trailing NUL.
import { readTlvs, readUint, tlv, uint } from "./ber.ts";
import { joinBytes } from "../../../lib/bytes.ts";

export type GooseValue = { type: "u16"; value: number } | { type: "f32"; value: number };

export interface GooseTime {
  seconds: number;
  /** 24-bit binary fraction of a second. */
  fraction: number;
  quality: number;
}

export interface GoosePdu {
  gocbRef: string;
  timeAllowedToLive: number;
  datSet: string;
  goId: string;
  timestamp: GooseTime;
  stNum: number;
  sqNum: number;
  simulation: boolean;
  confRev: number;
  ndsCom: boolean;
  entries: GooseValue[];
}

export interface PduEncoding {
  /** Bytes of timeAllowedToLive: 4 as the library writes, 2 in Huawei's own capture. */
  talBytes: 2 | 4;
}

/** Time quality byte the library writes (spec §6.3). */
export const TIME_QUALITY = 0x0a;

export function gooseTime(ms: number): GooseTime {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 24);
  return { seconds: ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32, fraction, quality: TIME_QUALITY };
}

function text(s: string): Uint8Array {
  const out = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new RangeError(`GOOSE name must be printable ASCII, found code ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}

function entry(v: GooseValue): Uint8Array {
  if (v.type === "u16") return tlv(0x86, uint(v.value, 2));
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v.value);
  return tlv(0x87, b);
}

export function encodeGoosePdu(p: GoosePdu, enc: PduEncoding = { talBytes: 4 }): Uint8Array {
  const t = p.timestamp;
  const time = joinBytes([uint(t.seconds, 4), uint(t.fraction, 3), uint(t.quality, 1)]);
  return tlv(
    0x61,
    joinBytes([
      tlv(0x80, text(p.gocbRef)),
      tlv(0x81, uint(p.timeAllowedToLive, enc.talBytes)),
      tlv(0x82, text(p.datSet)),
      tlv(0x83, text(p.goId)),
      tlv(0x84, time),
      tlv(0x85, uint(p.stNum, 4)),
      tlv(0x86, uint(p.sqNum, 4)),
      tlv(0x87, uint(p.simulation ? 1 : 0, 1)),
      tlv(0x88, uint(p.confRev, 4)),
      tlv(0x89, uint(p.ndsCom ? 1 : 0, 1)),
      tlv(0x8a, uint(p.entries.length, 4)),
      tlv(0xab, joinBytes(p.entries.map(entry))),
    ]),
  );
}

function readText(b: Uint8Array): string {
  const end = b.at(-1) === 0 ? b.length - 1 : b.length;
  let s = "";
  for (const c of b.subarray(0, end)) s += String.fromCharCode(c);
  return s;
}

const FIELD_TAGS = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0xab];

/** Bytes (exactly one goosePdu) → PDU, or a string saying what is wrong. */
export function decodeGoosePdu(bytes: Uint8Array): GoosePdu | string {
  const outer = readTlvs(bytes);
  if (typeof outer === "string") return outer;
  const [root] = outer;
  if (outer.length !== 1 || !root || root.tag !== 0x61) return "expected exactly one goosePdu (tag 0x61)";
  const fields = readTlvs(root.value);
  if (typeof fields === "string") return `goosePdu: ${fields}`;
  if (fields.length !== FIELD_TAGS.length || fields.some((f, i) => f.tag !== FIELD_TAGS[i])) {
    return `goosePdu fields ${fields.map((f) => f.tag.toString(16)).join(",")}, expected 80..8a,ab in order`;
  }
  const v = (i: number) => fields[i]?.value ?? new Uint8Array(0);
  for (const [i, max] of [[1, 4], [5, 4], [6, 4], [7, 1], [8, 4], [9, 1], [10, 4]] as const) {
    if (v(i).length < 1 || v(i).length > max) return `field 0x${FIELD_TAGS[i]?.toString(16)} has ${v(i).length} bytes, expected 1..${max}`;
  }
  const time = v(4);
  if (time.length !== 8) return `timestamp has ${time.length} bytes, expected 8`;
  const entries = readTlvs(v(11));
  if (typeof entries === "string") return `allData: ${entries}`;
  const values: GooseValue[] = [];
  for (const [i, e] of entries.entries()) {
    if (e.tag === 0x86 && e.value.length === 2) values.push({ type: "u16", value: readUint(e.value) });
    else if (e.tag === 0x87 && e.value.length === 4) values.push({ type: "f32", value: new DataView(e.value.buffer, e.value.byteOffset, 4).getFloat32(0) });
    else return `allData entry ${i + 1}: tag 0x${e.tag.toString(16)} with ${e.value.length} bytes, expected 0x86/2 or 0x87/4`;
  }
  const declared = readUint(v(10));
  if (declared !== values.length) return `numDatSetEntries ${declared}, but allData holds ${values.length}`;
  return {
    gocbRef: readText(v(0)),
    timeAllowedToLive: readUint(v(1)),
    datSet: readText(v(2)),
    goId: readText(v(3)),
    timestamp: { seconds: readUint(time.subarray(0, 4)), fraction: readUint(time.subarray(4, 7)), quality: time[7] ?? 0 },
    stNum: readUint(v(5)),
    sqNum: readUint(v(6)),
    simulation: readUint(v(7)) !== 0,
    confRev: readUint(v(8)),
    ndsCom: readUint(v(9)) !== 0,
    entries: values,
  };
}
