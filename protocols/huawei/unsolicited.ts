// Huawei function 0x41 / sub-function 0x91 "unsolicited report" (spec §4): the dispenser pushes
// register segments to the PSU without being asked.

export const FC_HUAWEI = 0x41;
export const SUB_UNSOLICITED = 0x91;
/** Reporting type bit 7: the sender wants an answer. The library never sets it. */
export const REPORT_WANTS_ANSWER = 0x80;

export interface Segment {
  address: number;
  values: Uint16Array;
}

export interface ReportDevice {
  location: number;
  segments: Segment[];
}

export interface UnsolicitedReport {
  reportingType: number;
  devices: ReportDevice[];
}

/** Bytes after the function code, for a report. */
export function encodeReportBody(r: UnsolicitedReport): Uint8Array {
  let size = 1 + 2;
  for (const d of r.devices) {
    size += 4;
    for (const s of d.segments) size += 4 + 2 * s.values.length;
  }
  const out = new Uint8Array(3 + size);
  const v = new DataView(out.buffer);
  v.setUint8(0, SUB_UNSOLICITED);
  v.setUint16(1, size);
  v.setUint8(3, r.reportingType);
  v.setUint16(4, r.devices.length);
  let at = 6;
  for (const d of r.devices) {
    v.setUint16(at, d.location);
    v.setUint16(at + 2, d.segments.length);
    at += 4;
    for (const s of d.segments) {
      v.setUint16(at, s.address);
      v.setUint16(at + 2, s.values.length);
      at += 4;
      for (const w of s.values) {
        v.setUint16(at, w);
        at += 2;
      }
    }
  }
  return out;
}

/** Parses the bytes after the function code; a string says what is wrong. */
export function decodeReportBody(body: Uint8Array): UnsolicitedReport | string {
  if (body.length < 6) return `report of ${body.length} bytes is shorter than its 6-byte header`;
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (v.getUint8(0) !== SUB_UNSOLICITED) return `sub-function 0x${v.getUint8(0).toString(16)}, expected 0x91`;
  const dataLength = v.getUint16(1);
  if (dataLength !== body.length - 3) return `data length ${dataLength}, but ${body.length - 3} bytes follow`;
  const reportingType = v.getUint8(3);
  const deviceCount = v.getUint16(4);
  const devices: ReportDevice[] = [];
  let at = 6;
  for (let d = 0; d < deviceCount; d++) {
    if (at + 4 > body.length) return `device ${d + 1} of ${deviceCount} is cut off`;
    const location = v.getUint16(at);
    const segmentCount = v.getUint16(at + 2);
    at += 4;
    const segments: Segment[] = [];
    for (let s = 0; s < segmentCount; s++) {
      if (at + 4 > body.length) return `segment ${s + 1} of device ${d + 1} is cut off`;
      const address = v.getUint16(at);
      const count = v.getUint16(at + 2);
      at += 4;
      if (at + 2 * count > body.length) return `segment at 0x${address.toString(16)} claims ${count} registers, the report ends first`;
      const values = new Uint16Array(count);
      for (let i = 0; i < count; i++) values[i] = v.getUint16(at + 2 * i);
      at += 2 * count;
      segments.push({ address, values });
    }
    devices.push({ location, segments });
  }
  if (at !== body.length) return `${body.length - at} bytes left after the last segment`;
  return { reportingType, devices };
}

/** The answer a PSU would give if asked (unverified, spec §4): `41 91 00 01 00 ss`, ss = 0 success. */
export function encodeAnswerBody(status: number): Uint8Array {
  return Uint8Array.of(SUB_UNSOLICITED, 0x00, 0x01, 0x00, status & 0xff);
}

export function isAnswerBody(body: Uint8Array): boolean {
  return body.length === 5 && body[0] === SUB_UNSOLICITED && body[1] === 0 && body[2] === 1 && body[3] === 0;
}
