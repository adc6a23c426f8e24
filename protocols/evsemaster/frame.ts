// EM datagram framing (spec §2): header, serial, password, command, payload, checksum, tail.

export const MAGIC = 0x0601;
export const TAIL = 0x0f02;
export const OVERHEAD = 25;
/** Anything longer is not an EM datagram; the longest known record is about 471 bytes. */
export const MAX_DATAGRAM = 2048;
/** The EVSE fills the password field with 0xFF (§2.3). */
export const EVSE_PASSWORD = new Uint8Array(6).fill(0xff);

export interface Frame {
  /** 16 lowercase hex characters (§2.2). */
  serial: string;
  /** The raw 6-byte password field. */
  password: Uint8Array;
  command: number;
  payload: Uint8Array;
}

export type FrameResult = { ok: true; frame: Frame } | { ok: false; error: string };

export function byteSum(b: Uint8Array, end: number): number {
  let sum = 0;
  for (let i = 0; i < end; i++) sum += b[i] ?? 0;
  return sum;
}

/** Software uses modulo 65535, the firmware modulo 65536 (§2.4, G2): both are accepted. */
export function checksumOk(sum: number, cs: number): boolean {
  return cs === sum % 65535 || cs === sum % 65536;
}

export function serialToBytes(serial: string): Uint8Array {
  if (!/^[0-9a-fA-F]{16}$/.test(serial)) throw new RangeError(`serial must be 16 hex characters, got "${serial}"`);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = parseInt(serial.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function passwordBytes(pin: string): Uint8Array {
  if (!/^\d{6}$/.test(pin)) throw new RangeError("password must be 6 digits");
  return new TextEncoder().encode(pin);
}

export function encodeFrame(f: Frame): Uint8Array {
  const len = OVERHEAD + f.payload.length;
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint16(0, MAGIC);
  v.setUint16(2, len);
  out[4] = 0;
  out.set(serialToBytes(f.serial), 5);
  if (f.password.length !== 6) throw new RangeError("password field must be 6 bytes");
  out.set(f.password, 13);
  v.setUint16(19, f.command);
  out.set(f.payload, 21);
  // Transmit the 16-bit truncation: no app datagram comes near 65535, so both rules agree.
  v.setUint16(len - 4, byteSum(out, len - 4) & 0xffff);
  v.setUint16(len - 2, TAIL);
  return out;
}

/**
 * Splits one UDP packet into datagrams (§2.5). Never throws: every problem is a value. Packets not
 * starting with the magic are not EM traffic and yield nothing.
 */
export function decodeFrames(packet: Uint8Array): FrameResult[] {
  const out: FrameResult[] = [];
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (packet.length < 2 || v.getUint16(0) !== MAGIC) return out;
  let off = 0;
  while (off < packet.length) {
    const rest = packet.length - off;
    if (rest < OVERHEAD) {
      out.push({ ok: false, error: `truncated datagram: ${rest} bytes at offset ${off}` });
      break;
    }
    if (v.getUint16(off) !== MAGIC) {
      out.push({ ok: false, error: `garbage after datagram at offset ${off}` });
      break;
    }
    const len = v.getUint16(off + 2);
    if (len < OVERHEAD || len > rest || len > MAX_DATAGRAM) {
      out.push({ ok: false, error: `bad length ${len} at offset ${off} (${rest} bytes left)` });
      break;
    }
    if (v.getUint16(off + len - 2) !== TAIL) {
      // With the length in doubt, the rest of the packet cannot be walked reliably.
      out.push({ ok: false, error: `bad tail at offset ${off + len - 2}` });
      break;
    }
    const d = packet.subarray(off, off + len);
    const cs = v.getUint16(off + len - 4);
    const sum = byteSum(d, len - 4);
    if (!checksumOk(sum, cs)) {
      out.push({ ok: false, error: `bad checksum 0x${cs.toString(16)} (sum ${sum})` });
    } else {
      out.push({
        ok: true,
        frame: {
          serial: bytesToHex(d.subarray(5, 13)),
          password: d.slice(13, 19),
          command: v.getUint16(off + 19),
          payload: d.slice(21, len - 4),
        },
      });
    }
    off += len;
  }
  return out;
}

// ---- field helpers shared by the payload codecs ----

/** Fixed-width ASCII: up to the first NUL, trailing spaces trimmed (§2.6). */
export function readString(b: Uint8Array, off: number, size: number): string {
  const end = Math.min(b.length, off + size);
  let s = "";
  for (let i = off; i < end; i++) {
    const c = b[i] ?? 0;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s.replace(/ +$/, "");
}

export function writeString(b: Uint8Array, off: number, size: number, s: string): void {
  for (let i = 0; i < size; i++) b[off + i] = i < s.length ? s.charCodeAt(i) & 0x7f : 0;
}

export class Reader {
  private v: DataView;
  constructor(readonly b: Uint8Array) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get length(): number {
    return this.b.length;
  }
  u8(o: number): number {
    return this.v.getUint8(o);
  }
  u16(o: number): number {
    return this.v.getUint16(o);
  }
  u32(o: number): number {
    return this.v.getUint32(o);
  }
  str(o: number, n: number): string {
    return readString(this.b, o, n);
  }
}

export class Writer {
  readonly b: Uint8Array;
  private v: DataView;
  constructor(size: number) {
    this.b = new Uint8Array(size);
    this.v = new DataView(this.b.buffer);
  }
  u8(o: number, x: number): this {
    this.v.setUint8(o, x);
    return this;
  }
  u16(o: number, x: number): this {
    this.v.setUint16(o, x);
    return this;
  }
  u32(o: number, x: number): this {
    this.v.setUint32(o, x);
    return this;
  }
  str(o: number, n: number, s: string): this {
    writeString(this.b, o, n, s);
    return this;
  }
}
