// Bytes from a broker → packets (MQTT 3.1.1 §2–3, MQTT 5 §2–3). A stream is cut into packets by
// their Remaining Length; a packet that cannot be read comes out as a BadPacket with its offset in
// the stream, never as an exception (after one, the framing is lost: the caller drops the link).
import { concatBytes } from "../bytes.ts";
import { errorMessage } from "../errors.ts";
import { type BadPacket, type Incoming, PACKET, type QoS, type Version } from "./packets.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Largest packet accepted from a broker; a bigger announcement is treated as a broken stream. */
export const MAX_INCOMING_PACKET = 16 * 1024 * 1024;

class Reader {
  at = 0;
  constructor(readonly b: Uint8Array) {}

  get left(): number {
    return this.b.length - this.at;
  }

  u8(): number {
    if (this.left < 1) throw new RangeError("packet ends early");
    return this.b[this.at++] ?? 0;
  }

  u16(): number {
    return (this.u8() << 8) | this.u8();
  }

  varInt(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 128;
    }
    throw new RangeError("variable byte integer longer than four bytes");
  }

  bytes(n: number): Uint8Array {
    if (this.left < n) throw new RangeError("packet ends early");
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes(this.u16()));
  }

  /** MQTT 5 properties: their length, then skipped (the bridge asks for none it would need). */
  skipProperties(): void {
    this.bytes(this.varInt());
  }
}

/**
 * One packet: `first` is byte 1 of its fixed header, `body` the Remaining Length bytes after it.
 * Throws on a malformed packet (the splitter turns that into a BadPacket).
 */
export function decodeBody(first: number, body: Uint8Array, version: Version): Incoming {
  const type = first >> 4;
  const flags = first & 0x0f;
  const r = new Reader(body);
  switch (type) {
    case PACKET.connack: {
      const ack = r.u8();
      const code = r.u8();
      // Properties only in MQTT 5, and a 3.1.1-only broker answers a v5 CONNECT in its own layout.
      if (version === 5 && r.left > 0) r.skipProperties();
      return { type: "connack", sessionPresent: (ack & 0x01) === 1, code };
    }
    case PACKET.publish: {
      const qos = (flags >> 1) & 0x03;
      if (qos === 3) throw new RangeError("PUBLISH with QoS 3");
      const topic = r.string();
      const id = qos > 0 ? r.u16() : undefined;
      if (version === 5) r.skipProperties();
      const q: QoS = qos === 2 ? 2 : qos === 1 ? 1 : 0;
      return { type: "publish", topic, payload: r.bytes(r.left), qos: q, retain: (flags & 0x01) === 1, dup: (flags & 0x08) !== 0, id };
    }
    case PACKET.puback: {
      const id = r.u16();
      // MQTT 5: reason code and properties may be left out when the reason is 0 (success).
      const code = version === 5 && r.left > 0 ? r.u8() : 0;
      return { type: "puback", id, code };
    }
    case PACKET.suback: {
      const id = r.u16();
      if (version === 5) r.skipProperties();
      const codes: number[] = [];
      while (r.left > 0) codes.push(r.u8());
      if (codes.length === 0) throw new RangeError("SUBACK without return codes");
      return { type: "suback", id, codes };
    }
    case PACKET.pingresp:
      return { type: "pingresp" };
    case PACKET.disconnect:
      // Only MQTT 5 brokers send DISCONNECT; without a reason code it means 0 (normal).
      return { type: "disconnect", code: r.left > 0 ? r.u8() : 0 };
    default:
      throw new RangeError(`unexpected packet type ${type} from a broker`);
  }
}

/**
 * Cuts a byte stream into packets. Keeps only the unfinished tail of the last chunk between calls;
 * a complete packet is decoded straight from the chunk it arrived in.
 */
export class PacketSplitter {
  private tail: Uint8Array = new Uint8Array(0);
  /** Stream offset of `tail[0]`. */
  private offset = 0;
  private broken = false;

  constructor(private readonly version: () => Version) {}

  push(chunk: Uint8Array): (Incoming | BadPacket)[] {
    if (this.broken) return [];
    const buf = this.tail.length === 0 ? chunk : concatBytes(this.tail, chunk);
    const out: (Incoming | BadPacket)[] = [];
    let at = 0;
    while (at < buf.length) {
      const head = remainingLength(buf, at + 1);
      if (head === "short") break;
      if (head === "bad" || head.value > MAX_INCOMING_PACKET) {
        out.push({ type: "bad", error: head === "bad" ? "remaining length longer than four bytes" : `packet of ${head.value} bytes announced (limit ${MAX_INCOMING_PACKET})`, offset: this.offset + at });
        this.broken = true;
        return out;
      }
      const end = head.next + head.value;
      if (end > buf.length) break;
      const first = buf[at] ?? 0;
      try {
        out.push(decodeBody(first, buf.subarray(head.next, end), this.version()));
      } catch (err) {
        out.push({ type: "bad", error: errorMessage(err), offset: this.offset + at });
        this.broken = true;
        return out;
      }
      at = end;
    }
    // Copied, so the transport may reuse its chunk; only a partial packet is ever kept.
    this.tail = at === buf.length ? new Uint8Array(0) : buf.slice(at);
    this.offset += at;
    return out;
  }
}

/** The Remaining Length starting at `at`: its value and where the body starts. */
function remainingLength(buf: Uint8Array, at: number): { value: number; next: number } | "short" | "bad" {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    const b = buf[at + i];
    if (b === undefined) return "short";
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
    mul *= 128;
  }
  return "bad";
}
