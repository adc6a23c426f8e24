// Modbus TCP ADUs on the PSU link: MBAP header + PDU, reassembled from an arbitrary byte stream.
//
// Resynchronisation: MBAP has no sync marker, so once a header is wrong (protocol id ≠ 0, length
// out of range) nothing says where the next ADU starts. Guessing would risk taking payload bytes
// for a write into the HMAC key or the capabilities of a supply that switches high voltage, so a
// bad header is `fatal`: the decoder reports it once, swallows the rest, and the session closes the
// connection (the PSU link reconnects with a clean stream). A well-framed ADU whose PDU does not
// fit its function code is not a framing problem: it comes out as an ADU with an `invalid` PDU,
// which the register server answers with an exception, as a Modbus server should. The one
// non-fatal bad item is a header with length 1 (unit id, no PDU): its end is known, it is skipped.
import { concatBytes } from "../../lib/bytes.ts";
import type { Codec } from "../../lib/link.ts";
import { MAX_ADU_LENGTH, MBAP_LENGTH, mbapProblem, readMbap, writeMbap } from "./mbap.ts";
import { decodePdu, encodePdu, type Pdu, type Sender } from "./pdu.ts";
import type { Step } from "../../lib/transform.ts";

export interface Adu {
  transactionId: number;
  unitId: number;
  pdu: Pdu;
}

export type AduOrBad =
  | { ok: true; adu: Adu; position: number; length: number }
  /** `position` is the stream offset of the first byte that could not be used. */
  | { ok: false; position: number; reason: string; fatal: boolean };

export function encodeAdu(a: Adu): Uint8Array {
  const pdu = encodePdu(a.pdu);
  const out = new Uint8Array(MBAP_LENGTH + pdu.length);
  writeMbap(out, { transactionId: a.transactionId & 0xffff, protocolId: 0, length: pdu.length + 1, unitId: a.unitId & 0xff });
  out.set(pdu, MBAP_LENGTH);
  return out;
}

/** Splits a byte stream into ADUs. Holds at most one incomplete ADU (< 260 bytes) between pushes. */
export class AduReader {
  private buf = new Uint8Array(0);
  /** Stream offset of buf[0]. */
  private offset = 0;
  private dead = false;

  constructor(private readonly from: Sender) {}

  get buffered(): number {
    return this.buf.length;
  }

  /** True once a fatal item was returned; all later input is ignored. */
  get failed(): boolean {
    return this.dead;
  }

  push(chunk: Uint8Array): void {
    if (this.dead || chunk.length === 0) {
      if (this.dead) this.offset += chunk.length;
      return;
    }
    this.buf = concatBytes(this.buf, chunk);
  }

  /** Next complete ADU or bad item; undefined when more bytes are needed (or after a fatal item). */
  next(): AduOrBad | undefined {
    if (this.dead || this.buf.length < MBAP_LENGTH) return undefined;
    const h = readMbap(this.buf);
    const position = this.offset;
    const problem = mbapProblem(h);
    if (problem !== undefined) return this.fail(position, `bad MBAP header: ${problem}`);
    const total = 6 + h.length;
    if (this.buf.length < total) return undefined;
    const pduBytes = this.buf.slice(MBAP_LENGTH, total);
    this.buf = this.buf.subarray(total);
    this.offset += total;
    if (h.length === 1) return { ok: false, position, reason: "ADU without a PDU (length field 1)", fatal: false };
    const pdu = decodePdu(pduBytes, this.from);
    return { ok: true, adu: { transactionId: h.transactionId, unitId: h.unitId, pdu }, position, length: total };
  }

  /** Called at end of stream: a partial ADU left over is reported. */
  end(): AduOrBad | undefined {
    if (this.dead || this.buf.length === 0) return undefined;
    const position = this.offset;
    const n = this.buf.length;
    return this.fail(position, `stream ended inside an ADU (${n} bytes of at most ${MAX_ADU_LENGTH})`);
  }

  private fail(position: number, reason: string): AduOrBad {
    this.dead = true;
    this.offset += this.buf.length;
    this.buf = new Uint8Array(0);
    return { ok: false, position, reason, fatal: true };
  }
}

/** Every complete item in `bytes` (one-shot form of AduReader, e.g. for tests and tools). */
export function decodeAdus(bytes: Uint8Array, from: Sender): AduOrBad[] {
  const r = new AduReader(from);
  r.push(bytes);
  const out: AduOrBad[] = [];
  for (let item = r.next(); item; item = r.next()) out.push(item);
  const tail = r.end();
  if (tail) out.push(tail);
  return out;
}

/** Bytes from the socket → ADUs and bad items. After a fatal item the stream stays silent. */
export function aduDecoder(from: Sender): Step<Uint8Array, AduOrBad> {
  const reader = new AduReader(from);
  return ({
    transform(chunk, controller) {
      reader.push(chunk);
      for (let item = reader.next(); item; item = reader.next()) controller.enqueue(item);
    },
    flush(controller) {
      const tail = reader.end();
      if (tail) controller.enqueue(tail);
    },
  });
}

/** ADUs → bytes for the socket. An ADU our own code built wrongly errors the stream (RangeError). */
export function aduEncoder(): Step<Adu, Uint8Array> {
  return ({
    transform(adu, controller) {
      controller.enqueue(encodeAdu(adu));
    },
  });
}

/** The dispenser's side of the link (the bridge): the PSU's requests in, our answers and reports out. */
export const dispenserCodec: Codec<AduOrBad, Adu> = { decoder: () => aduDecoder("psu"), encoder: aduEncoder };

/** The PSU's side (the simulator): the dispenser's answers and reports in, requests out. */
export const psuCodec: Codec<AduOrBad, Adu> = { decoder: () => aduDecoder("dispenser"), encoder: aduEncoder };
