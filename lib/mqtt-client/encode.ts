// Packets → bytes (MQTT 3.1.1 §2–3, MQTT 5 §2–3). Each packet is measured first and written into
// one buffer of exactly its size: no intermediate arrays on the publish path.
import { type Outgoing, PACKET, type Publish, type Subscribe, type Version } from "./packets.ts";

const utf8 = new TextEncoder();

/** Largest Remaining Length a packet can announce (four bytes of 7 bits). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes the Variable Byte Integer encoding of `n` takes. */
function varIntSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** A cursor over one packet's buffer. */
class Writer {
  readonly bytes: Uint8Array;
  private at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  u8(b: number): void {
    this.bytes[this.at++] = b;
  }

  u16(n: number): void {
    this.bytes[this.at++] = n >> 8;
    this.bytes[this.at++] = n & 0xff;
  }

  varInt(n: number): void {
    let x = n;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) b |= 0x80;
      this.bytes[this.at++] = b;
    } while (x > 0);
  }

  raw(b: Uint8Array): void {
    this.bytes.set(b, this.at);
    this.at += b.length;
  }

  /** A two-byte length, then the bytes (UTF-8 strings and binary data alike). */
  field(b: Uint8Array): void {
    this.u16(b.length);
    this.raw(b);
  }
}

/** The Variable Byte Integer encoding of `n` (MQTT 3.1.1 §2.2.3, MQTT 5 §1.5.5). */
export function encodeVarInt(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > MAX_REMAINING_LENGTH) throw new RangeError(`remaining length ${n} out of range 0…${MAX_REMAINING_LENGTH}`);
  const w = new Writer(varIntSize(n));
  w.varInt(n);
  return w.bytes;
}

function field(s: string): Uint8Array {
  const b = utf8.encode(s);
  if (b.length > 0xffff) throw new RangeError(`string of ${b.length} bytes is longer than MQTT's 65535`);
  return b;
}

/** Fixed header (type, flags, remaining length) in front of a body of `bodySize` bytes. */
function frame(first: number, bodySize: number): Writer {
  if (bodySize > MAX_REMAINING_LENGTH) throw new RangeError(`packet body of ${bodySize} bytes exceeds MQTT's ${MAX_REMAINING_LENGTH}`);
  const w = new Writer(1 + varIntSize(bodySize) + bodySize);
  w.u8(first);
  w.varInt(bodySize);
  return w;
}

function encodePublish(p: Publish, version: Version): Uint8Array {
  const topic = field(p.topic);
  const withId = p.qos > 0;
  const size = 2 + topic.length + (withId ? 2 : 0) + (version === 5 ? 1 : 0) + p.payload.length;
  const w = frame((PACKET.publish << 4) | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0), size);
  w.field(topic);
  if (withId) w.u16(p.id ?? 0);
  if (version === 5) w.u8(0); // no properties
  w.raw(p.payload);
  return w.bytes;
}

function encodeSubscribe(p: Subscribe, version: Version): Uint8Array {
  const filters = p.subscriptions.map((s) => field(s.filter));
  const size = 2 + (version === 5 ? 1 : 0) + filters.reduce((n, f) => n + 2 + f.length + 1, 0);
  // Bits 3…0 of a SUBSCRIBE's fixed header are reserved as 0010.
  const w = frame((PACKET.subscribe << 4) | 0x02, size);
  w.u16(p.id);
  if (version === 5) w.u8(0);
  p.subscriptions.forEach((s, i) => {
    w.field(filters[i] ?? new Uint8Array(0));
    let options: number = s.qos;
    if (version === 5) {
      if (s.noLocal) options |= 0x04;
      if (s.retainAsPublished) options |= 0x08;
      options |= (s.retainHandling ?? 0) << 4;
    }
    w.u8(options);
  });
  return w.bytes;
}

const MQTT = utf8.encode("MQTT");

function encodeConnect(p: Extract<Outgoing, { type: "connect" }>): Uint8Array {
  const v5 = p.version === 5;
  const clientId = field(p.clientId);
  const willTopic = p.will ? field(p.will.topic) : undefined;
  const user = p.username !== undefined ? field(p.username) : undefined;
  if (p.password !== undefined && p.password.length > 0xffff) throw new RangeError("password longer than 65535 bytes");
  if (p.will && p.will.payload.length > 0xffff) throw new RangeError("will payload longer than 65535 bytes");
  let size = 2 + MQTT.length + 1 + 1 + 2 + (v5 ? 1 : 0) + 2 + clientId.length;
  if (p.will && willTopic) size += (v5 ? 1 : 0) + 2 + willTopic.length + 2 + p.will.payload.length;
  if (user) size += 2 + user.length;
  if (p.password) size += 2 + p.password.length;
  let flags = p.clean ? 0x02 : 0;
  if (p.will) flags |= 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0);
  if (p.password) flags |= 0x40;
  if (user) flags |= 0x80;
  const w = frame(PACKET.connect << 4, size);
  w.field(MQTT);
  w.u8(p.version);
  w.u8(flags);
  w.u16(p.keepalive);
  if (v5) w.u8(0); // no CONNECT properties
  w.field(clientId);
  if (p.will && willTopic) {
    if (v5) w.u8(0); // no will properties
    w.field(willTopic);
    w.field(p.will.payload);
  }
  if (user) w.field(user);
  if (p.password) w.field(p.password);
  return w.bytes;
}

/** The bytes of one packet as `version` lays it out. */
export function encodePacket(p: Outgoing, version: Version): Uint8Array {
  switch (p.type) {
    case "connect":
      return encodeConnect(p);
    case "publish":
      return encodePublish(p, version);
    case "subscribe":
      return encodeSubscribe(p, version);
    case "puback": {
      // MQTT 5 lets a success (reason 0, no properties) be sent in the 3.1.1 layout.
      const long = version === 5 && p.code !== 0;
      const w = frame(PACKET.puback << 4, long ? 3 : 2);
      w.u16(p.id);
      if (long) w.u8(p.code);
      return w.bytes;
    }
    case "pingreq":
      return Uint8Array.of(PACKET.pingreq << 4, 0);
    case "disconnect": {
      if (version === 4 || p.code === 0) return Uint8Array.of(PACKET.disconnect << 4, 0);
      return Uint8Array.of(PACKET.disconnect << 4, 1, p.code);
    }
  }
}
