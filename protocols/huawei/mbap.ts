// Modbus TCP application header (spec §1.2): transaction id, protocol id 0, length = unit id + PDU,
// unit id. All big-endian.

export const MBAP_LENGTH = 7;
/** Largest PDU Modbus allows (253 bytes), hence the largest length field is 254 and an ADU is ≤ 260 bytes. */
export const MAX_PDU_LENGTH = 253;
export const MAX_LENGTH_FIELD = MAX_PDU_LENGTH + 1;
export const MAX_ADU_LENGTH = 6 + MAX_LENGTH_FIELD;

export interface MbapHeader {
  transactionId: number;
  protocolId: number;
  /** Bytes after the length field: unit id + PDU. */
  length: number;
  unitId: number;
}

export function readMbap(bytes: Uint8Array, at = 0): MbapHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, MBAP_LENGTH);
  return { transactionId: v.getUint16(0), protocolId: v.getUint16(2), length: v.getUint16(4), unitId: v.getUint8(6) };
}

export function writeMbap(out: Uint8Array, h: MbapHeader): void {
  const v = new DataView(out.buffer, out.byteOffset, MBAP_LENGTH);
  v.setUint16(0, h.transactionId);
  v.setUint16(2, h.protocolId);
  v.setUint16(4, h.length);
  v.setUint8(6, h.unitId);
}

/** Why a header cannot start an ADU, or undefined when it can. */
export function mbapProblem(h: MbapHeader): string | undefined {
  if (h.protocolId !== 0) return `protocol id ${h.protocolId}, expected 0`;
  if (h.length < 1 || h.length > MAX_LENGTH_FIELD) return `length field ${h.length}, expected 2..${MAX_LENGTH_FIELD}`;
  return undefined;
}
