// Modbus PDUs carried on the PSU link (spec §1.2, §4). Which layout a function code has depends on
// who sent it: the PSU sends requests 0x03/0x06/0x10 (and could answer a 0x41 report); the
// dispenser sends their responses and the 0x41 reports.
import { MAX_PDU_LENGTH } from "./mbap.ts";
import { decodeReportBody, encodeAnswerBody, encodeReportBody, FC_HUAWEI, isAnswerBody, type UnsolicitedReport } from "./unsolicited.ts";

export const FC = { readHolding: 0x03, writeSingle: 0x06, writeMultiple: 0x10, huawei: FC_HUAWEI } as const;
export const EXCEPTION = { illegalFunction: 0x01, illegalAddress: 0x02, illegalValue: 0x03 } as const;
/** Modbus limits: registers per read and per multiple write. */
export const MAX_READ_COUNT = 125;
export const MAX_WRITE_COUNT = 123;

export type Pdu =
  | { kind: "readRequest"; address: number; count: number }
  | { kind: "readResponse"; values: Uint16Array }
  /** Request and response of FC 0x06 are the same bytes. */
  | { kind: "writeSingle"; address: number; value: number }
  | { kind: "writeMultiple"; address: number; values: Uint16Array }
  | { kind: "writeMultipleResponse"; address: number; count: number }
  | { kind: "exception"; functionCode: number; code: number }
  | { kind: "report"; report: UnsolicitedReport }
  | { kind: "reportAnswer"; status: number }
  /** A known function code whose bytes do not fit its layout; a server answers "illegal data value". */
  | { kind: "invalid"; functionCode: number; reason: string; data: Uint8Array }
  /** A function code this link does not know; a server answers "illegal function". */
  | { kind: "other"; functionCode: number; data: Uint8Array };

/** Who put the PDU on the wire. */
export type Sender = "psu" | "dispenser";

function u16(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${what} must be an integer 0..65535, got ${n}`);
  return n;
}

/** A PDU of two 16-bit fields after the function code (read request, write single, write reply). */
function twoWords(fc: number, a: number, aName: string, b: number, bName: string): Uint8Array {
  return build(fc, 4, (v) => {
    v.setUint16(0, u16(a, aName));
    v.setUint16(2, u16(b, bName));
  });
}

function build(fc: number, length: number, fill: (v: DataView) => void): Uint8Array {
  const out = new Uint8Array(1 + length);
  const v = new DataView(out.buffer);
  v.setUint8(0, fc);
  fill(new DataView(out.buffer, 1));
  return out;
}

/** PDU → bytes. Throws RangeError for values our own code should never produce (out-of-range fields, oversize PDU). */
export function encodePdu(p: Pdu): Uint8Array {
  const out = encodeUnchecked(p);
  if (out.length > MAX_PDU_LENGTH) throw new RangeError(`${p.kind} PDU of ${out.length} bytes exceeds the Modbus limit of ${MAX_PDU_LENGTH}`);
  return out;
}

function encodeUnchecked(p: Pdu): Uint8Array {
  switch (p.kind) {
    case "readRequest":
      return twoWords(FC.readHolding, p.address, "address", p.count, "count");
    case "readResponse":
      if (p.values.length > MAX_READ_COUNT) throw new RangeError(`read response of ${p.values.length} registers exceeds ${MAX_READ_COUNT}`);
      return build(FC.readHolding, 1 + 2 * p.values.length, (v) => {
        v.setUint8(0, 2 * p.values.length);
        p.values.forEach((w, i) => v.setUint16(1 + 2 * i, w));
      });
    case "writeSingle":
      return twoWords(FC.writeSingle, p.address, "address", p.value, "value");
    case "writeMultiple":
      if (p.values.length < 1 || p.values.length > MAX_WRITE_COUNT) throw new RangeError(`write of ${p.values.length} registers, expected 1..${MAX_WRITE_COUNT}`);
      return build(FC.writeMultiple, 5 + 2 * p.values.length, (v) => {
        v.setUint16(0, u16(p.address, "address"));
        v.setUint16(2, p.values.length);
        v.setUint8(4, 2 * p.values.length);
        p.values.forEach((w, i) => v.setUint16(5 + 2 * i, w));
      });
    case "writeMultipleResponse":
      return twoWords(FC.writeMultiple, p.address, "address", p.count, "count");
    case "exception":
      return Uint8Array.of((p.functionCode | 0x80) & 0xff, p.code & 0xff);
    case "report":
      return withFc(FC.huawei, encodeReportBody(p.report));
    case "reportAnswer":
      return withFc(FC.huawei, encodeAnswerBody(p.status));
    case "invalid":
    case "other":
      return withFc(p.functionCode, p.data);
  }
}

function withFc(fc: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = fc & 0xff;
  out.set(body, 1);
  return out;
}

function words(bytes: Uint8Array, at: number, count: number): Uint16Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = v.getUint16(at + 2 * i);
  return out;
}

/** Bytes → PDU. Never throws: a layout that does not fit comes back as `invalid`. */
export function decodePdu(bytes: Uint8Array, from: Sender): Pdu {
  const fc = bytes[0] ?? 0;
  const data = bytes.slice(1);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const invalid = (reason: string): Pdu => ({ kind: "invalid", functionCode: fc, reason, data });
  if (bytes.length === 0) return invalid("empty PDU");
  if (fc & 0x80) {
    if (data.length !== 1) return invalid(`exception response of ${bytes.length} bytes, expected 2`);
    return { kind: "exception", functionCode: fc & 0x7f, code: v.getUint8(0) };
  }
  switch (fc) {
    case FC.readHolding:
      if (from === "psu") {
        if (data.length !== 4) return invalid(`read request with ${data.length} data bytes, expected 4`);
        return { kind: "readRequest", address: v.getUint16(0), count: v.getUint16(2) };
      } else {
        const n = v.byteLength >= 1 ? v.getUint8(0) : -1;
        if (n < 0 || n % 2 !== 0 || n !== data.length - 1) return invalid(`read response byte count ${n} does not match ${data.length - 1} data bytes`);
        return { kind: "readResponse", values: words(data, 1, n / 2) };
      }
    case FC.writeSingle:
      if (data.length !== 4) return invalid(`write-single with ${data.length} data bytes, expected 4`);
      return { kind: "writeSingle", address: v.getUint16(0), value: v.getUint16(2) };
    case FC.writeMultiple:
      if (from === "dispenser") {
        if (data.length !== 4) return invalid(`write-multiple response with ${data.length} data bytes, expected 4`);
        return { kind: "writeMultipleResponse", address: v.getUint16(0), count: v.getUint16(2) };
      } else {
        if (data.length < 5) return invalid(`write-multiple request with ${data.length} data bytes, expected at least 5`);
        const count = v.getUint16(2);
        const byteCount = v.getUint8(4);
        if (count < 1 || count > MAX_WRITE_COUNT) return invalid(`write-multiple count ${count}, expected 1..${MAX_WRITE_COUNT}`);
        if (byteCount !== 2 * count || byteCount !== data.length - 5) return invalid(`write-multiple byte count ${byteCount} for ${count} registers and ${data.length - 5} data bytes`);
        return { kind: "writeMultiple", address: v.getUint16(0), values: words(data, 5, count) };
      }
    case FC.huawei:
      if (from === "psu") {
        // The only 0x41 a PSU may send is the answer to a report; anything else is an unknown request.
        if (isAnswerBody(data)) return { kind: "reportAnswer", status: data[4] ?? 0 };
        return { kind: "other", functionCode: fc, data };
      } else {
        const r = decodeReportBody(data);
        return typeof r === "string" ? invalid(r) : { kind: "report", report: r };
      }
    default:
      return { kind: "other", functionCode: fc, data };
  }
}
