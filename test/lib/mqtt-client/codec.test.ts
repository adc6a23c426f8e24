// The MQTT client's codec: byte vectors from the MQTT 3.1.1 and 5.0 specifications (non-normative
// examples and tables), seeded fuzz against mqtt-packet (the codec mqtt.js uses) in both
// directions, and broken input that must come out as a BadPacket with its offset.
import { describe, expect, test } from "bun:test";
import mqttPacket from "mqtt-packet";
import { decodeBody, PacketSplitter } from "../../../lib/mqtt-client/decode.ts";
import { encodePacket, encodeVarInt } from "../../../lib/mqtt-client/encode.ts";
import type { BadPacket, Incoming, Version } from "../../../lib/mqtt-client/packets.ts";
import { mutate, prng, randomBytes } from "../../support/prng.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (...xs: number[]) => Uint8Array.from(xs);
const ascii = (s: string) => [...new TextEncoder().encode(s)];

describe("spec vectors", () => {
  test("Remaining Length, MQTT 3.1.1 §2.2.3 Table 2.4 / MQTT 5 §1.5.5 Table 1-1", () => {
    const table: [number, number[]][] = [
      [0, [0x00]],
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [16_383, [0xff, 0x7f]],
      [16_384, [0x80, 0x80, 0x01]],
      [2_097_151, [0xff, 0xff, 0x7f]],
      [2_097_152, [0x80, 0x80, 0x80, 0x01]],
      [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
    ];
    for (const [n, enc] of table) expect([...encodeVarInt(n)]).toEqual(enc);
    expect(() => encodeVarInt(268_435_456)).toThrow(RangeError);
  });

  test("CONNECT variable header, MQTT 3.1.1 Figure 3.6 (flags CE, keep alive 10)", () => {
    const b = encodePacket({ type: "connect", version: 4, clientId: "c", clean: true, keepalive: 10, username: "u", password: new TextEncoder().encode("p"), will: { topic: "w", payload: bytes(0x21), qos: 1, retain: false } }, 4);
    // Fixed header 0x10, remaining length, then the figure's ten bytes.
    expect(b[0]).toBe(0x10);
    expect([...b.subarray(2, 12)]).toEqual([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0xce, 0x00, 0x0a]);
    // Payload in the order of §3.1.3: client id, will topic, will message, user name, password.
    expect([...b.subarray(12)]).toEqual([0, 1, ...ascii("c"), 0, 1, ...ascii("w"), 0, 1, 0x21, 0, 1, ...ascii("u"), 0, 1, ...ascii("p")]);
    expect(b[1]).toBe(b.length - 2);
  });

  test("CONNECT variable header, MQTT 5 Figure 3-7 up to the properties (none sent: length 0)", () => {
    const b = encodePacket({ type: "connect", version: 5, clientId: "c", clean: true, keepalive: 10, username: "u", password: new TextEncoder().encode("p"), will: { topic: "w", payload: bytes(0x21), qos: 1, retain: false } }, 5);
    expect([...b.subarray(2, 12)]).toEqual([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0xce, 0x00, 0x0a]);
    expect(b[12]).toBe(0x00);
    // §3.1.3: client id, will properties (length 0), will topic, will payload, user name, password.
    expect([...b.subarray(13)]).toEqual([0, 1, ...ascii("c"), 0, 0, 1, ...ascii("w"), 0, 1, 0x21, 0, 1, ...ascii("u"), 0, 1, ...ascii("p")]);
  });

  test("CONNECT flags: will retain is bit 5, no will and no credentials leave only clean session", () => {
    const withRetain = encodePacket({ type: "connect", version: 4, clientId: "x", clean: true, keepalive: 0, will: { topic: "t", payload: bytes(), qos: 1, retain: true } }, 4);
    expect(withRetain[9]).toBe(0x02 | 0x04 | 0x08 | 0x20);
    const bare = encodePacket({ type: "connect", version: 4, clientId: "", clean: true, keepalive: 60 }, 4);
    expect(hex(bare)).toBe("100c00044d5154540402003c0000");
  });

  test("PUBLISH variable header, MQTT 3.1.1 Figure 3.11 and MQTT 5 Figure 3-9 (a/b, packet identifier 10)", () => {
    const p = { type: "publish" as const, topic: "a/b", payload: bytes(), qos: 1 as const, retain: false, dup: false, id: 10 };
    expect(hex(encodePacket(p, 4))).toBe("3207" + "0003612f62000a");
    expect(hex(encodePacket(p, 5))).toBe("3208" + "0003612f62000a00");
  });

  test("PUBLISH fixed header flags: DUP bit 3, QoS bits 2-1, RETAIN bit 0; QoS 0 has no packet identifier", () => {
    expect(encodePacket({ type: "publish", topic: "a", payload: bytes(1), qos: 1, retain: true, dup: true, id: 1 }, 4)[0]).toBe(0x3b);
    expect(hex(encodePacket({ type: "publish", topic: "a", payload: bytes(0x68, 0x69), qos: 0, retain: false, dup: false }, 4))).toBe("3005000161" + "6869");
  });

  test("SUBSCRIBE, MQTT 3.1.1 Figures 3.21 and 3.22 (packet identifier 10; a/b QoS 1, c/d QoS 2)", () => {
    const b = encodePacket({ type: "subscribe", id: 10, subscriptions: [{ filter: "a/b", qos: 1 }, { filter: "c/d", qos: 2 }] }, 4);
    expect(hex(b)).toBe("820e" + "000a" + "0003612f6201" + "0003632f6402");
  });

  test("SUBSCRIBE options, MQTT 5 §3.8.3.1: QoS bits 0-1, No Local bit 2, Retain As Published bit 3, Retain Handling bits 4-5", () => {
    const b = encodePacket({ type: "subscribe", id: 10, subscriptions: [{ filter: "a/b", qos: 1, noLocal: true, retainAsPublished: true }, { filter: "c", qos: 0, retainHandling: 2 }] }, 5);
    expect(hex(b)).toBe("820d" + "000a" + "00" + "0003612f620d" + "00016320");
    // Under 3.1.1 the byte is the QoS alone.
    expect(hex(encodePacket({ type: "subscribe", id: 1, subscriptions: [{ filter: "a", qos: 1, noLocal: true, retainAsPublished: true }] }, 4))).toBe("8206000100016101");
  });

  test("SUBACK payload, MQTT 3.1.1 Figure 3.26 (QoS 0, QoS 2, failure) and MQTT 5 with properties", () => {
    expect(decodeBody(0x90, bytes(0x00, 0x0a, 0x00, 0x02, 0x80), 4)).toEqual({ type: "suback", id: 10, codes: [0, 2, 0x80] });
    expect(decodeBody(0x90, bytes(0x00, 0x0a, 0x00, 0x01, 0x87), 5)).toEqual({ type: "suback", id: 10, codes: [1, 0x87] });
  });

  test("CONNACK: 3.1.1 return codes, MQTT 5 reason and properties, and a 3.1.1 answer to an MQTT 5 CONNECT", () => {
    expect(decodeBody(0x20, bytes(0x01, 0x00), 4)).toEqual({ type: "connack", sessionPresent: true, code: 0 });
    expect(decodeBody(0x20, bytes(0x00, 0x05), 4)).toEqual({ type: "connack", sessionPresent: false, code: 5 });
    // Properties: Receive Maximum (0x21) = 20, Topic Alias Maximum (0x22) = 10.
    expect(decodeBody(0x20, bytes(0x00, 0x00, 0x06, 0x21, 0x00, 0x14, 0x22, 0x00, 0x0a), 5)).toEqual({ type: "connack", sessionPresent: false, code: 0 });
    expect(decodeBody(0x20, bytes(0x00, 0x01), 5)).toEqual({ type: "connack", sessionPresent: false, code: 1 });
  });

  test("PUBACK: 3.1.1; MQTT 5 with the reason code left out (success) and with a refusal", () => {
    expect(hex(encodePacket({ type: "puback", id: 10, code: 0 }, 4))).toBe("4002000a");
    expect(hex(encodePacket({ type: "puback", id: 10, code: 0 }, 5))).toBe("4002000a");
    expect(decodeBody(0x40, bytes(0x00, 0x0a), 5)).toEqual({ type: "puback", id: 10, code: 0 });
    expect(decodeBody(0x40, bytes(0x00, 0x0a, 0x87, 0x00), 5)).toEqual({ type: "puback", id: 10, code: 0x87 });
  });

  test("PINGREQ, PINGRESP, DISCONNECT", () => {
    expect(hex(encodePacket({ type: "pingreq" }, 4))).toBe("c000");
    expect(decodeBody(0xd0, bytes(), 4)).toEqual({ type: "pingresp" });
    expect(hex(encodePacket({ type: "disconnect", code: 0 }, 4))).toBe("e000");
    expect(hex(encodePacket({ type: "disconnect", code: 0 }, 5))).toBe("e000");
    expect(decodeBody(0xe0, bytes(0x8e, 0x00), 5)).toEqual({ type: "disconnect", code: 0x8e });
  });

  test("incoming MQTT 5 PUBLISH: properties are skipped, the payload is what follows", () => {
    // Topic "t", packet id 7, properties: Payload Format Indicator (0x01) = 1; payload "x".
    const p = decodeBody(0x32, bytes(0x00, 0x01, 0x74, 0x00, 0x07, 0x02, 0x01, 0x01, 0x78), 5);
    expect(p).toMatchObject({ type: "publish", topic: "t", id: 7, qos: 1, retain: false, dup: false });
    expect(p.type === "publish" && [...p.payload]).toEqual([0x78]);
  });
});

type Gen = mqttPacket.Packet;

/** One random packet the client sends, as ours and as mqtt-packet's. */
function randomOutgoing(rand: () => number, version: Version): [Parameters<typeof encodePacket>[0], Gen] {
  const str = (max: number) => Array.from({ length: (rand() * max) | 0 }, () => String.fromCharCode(0x61 + ((rand() * 26) | 0), ...(rand() < 0.1 ? [0xe9] : []))).join("");
  const kind = (rand() * 3) | 0;
  if (kind === 0) {
    const qos = rand() < 0.5 ? 0 : 1;
    const payload = randomBytes(rand, (rand() * (rand() < 0.1 ? 20_000 : 100)) | 0);
    const topic = `t/${str(40)}`;
    const retain = rand() < 0.5;
    const id = qos ? 1 + ((rand() * 65_535) | 0) : undefined;
    return [
      { type: "publish", topic, payload, qos, retain, dup: false, id },
      { cmd: "publish", topic, payload: Buffer.from(payload), qos, retain, dup: false, ...(id ? { messageId: id } : {}) },
    ];
  }
  if (kind === 1) {
    const id = 1 + ((rand() * 65_535) | 0);
    const subs = Array.from({ length: 1 + ((rand() * 3) | 0) }, () => ({ filter: `${str(10)}/#`, qos: ((rand() * 2) | 0) as 0 | 1, noLocal: rand() < 0.5, retainAsPublished: rand() < 0.5 }));
    return [
      { type: "subscribe", id, subscriptions: subs },
      { cmd: "subscribe", messageId: id, subscriptions: subs.map((s) => ({ topic: s.filter, qos: s.qos, ...(version === 5 ? { nl: s.noLocal, rap: s.retainAsPublished, rh: 0 } : {}) })) },
    ];
  }
  const user = rand() < 0.5 ? str(12) : undefined;
  const password = user !== undefined && rand() < 0.7 ? str(12) : undefined;
  const will = rand() < 0.5 ? { topic: `w/${str(10)}`, payload: randomBytes(rand, (rand() * 20) | 0), qos: 1 as const, retain: rand() < 0.5 } : undefined;
  const clientId = str(23);
  const keepalive = (rand() * 600) | 0;
  return [
    { type: "connect", version, clientId, clean: true, keepalive, username: user, password: password !== undefined ? new TextEncoder().encode(password) : undefined, will },
    {
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: version,
      clientId,
      clean: true,
      keepalive,
      ...(user !== undefined ? { username: user } : {}),
      ...(password !== undefined ? { password: Buffer.from(password) } : {}),
      ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain } } : {}),
    },
  ];
}

describe("fuzz against mqtt-packet", () => {
  for (const version of [4, 5] as const) {
    test(`what we encode is byte for byte what mqtt-packet generates (MQTT ${version === 5 ? "5" : "3.1.1"})`, () => {
      const rand = prng(0x5eed + version);
      for (let i = 0; i < 500; i++) {
        const [ours, theirs] = randomOutgoing(rand, version);
        expect(hex(encodePacket(ours, version))).toBe(hex(mqttPacket.generate(theirs, { protocolVersion: version })));
      }
    });

    test(`a stream of broker packets cut at random points decodes to what was generated (MQTT ${version === 5 ? "5" : "3.1.1"})`, () => {
      const rand = prng(0xfeed + version);
      const sent: Incoming[] = [];
      const wire: Uint8Array[] = [];
      for (let i = 0; i < 300; i++) {
        const id = 1 + ((rand() * 65_535) | 0);
        const pick = (rand() * 4) | 0;
        if (pick === 0) {
          const payload = randomBytes(rand, (rand() * 300) | 0);
          const qos = rand() < 0.5 ? 0 : 1;
          const retain = rand() < 0.5;
          sent.push({ type: "publish", topic: `x/${i}`, payload, qos, retain, dup: false, id: qos ? id : undefined });
          wire.push(mqttPacket.generate({ cmd: "publish", topic: `x/${i}`, payload: Buffer.from(payload), qos, retain, dup: false, ...(qos ? { messageId: id } : {}) }, { protocolVersion: version }));
        } else if (pick === 1) {
          sent.push({ type: "puback", id, code: 0 });
          wire.push(mqttPacket.generate({ cmd: "puback", messageId: id }, { protocolVersion: version }));
        } else if (pick === 2) {
          sent.push({ type: "suback", id, codes: [1] });
          wire.push(mqttPacket.generate({ cmd: "suback", messageId: id, granted: [1] }, { protocolVersion: version }));
        } else {
          sent.push({ type: "pingresp" });
          wire.push(mqttPacket.generate({ cmd: "pingresp" }, { protocolVersion: version }));
        }
      }
      const all = Buffer.concat(wire);
      const splitter = new PacketSplitter(() => version);
      const got: (Incoming | BadPacket)[] = [];
      for (let at = 0; at < all.length; ) {
        const n = 1 + ((rand() * 700) | 0);
        got.push(...splitter.push(new Uint8Array(all.subarray(at, at + n))));
        at += n;
      }
      expect(got.length).toBe(sent.length);
      got.forEach((g, i) => {
        const s = sent[i];
        if (g.type === "publish" && s?.type === "publish") {
          expect({ ...g, payload: hex(g.payload) }).toEqual({ ...s, payload: hex(s.payload) });
        } else expect(g).toEqual(s as Incoming);
      });
    });
  }
});

describe("broken input", () => {
  test("a Remaining Length longer than four bytes is a BadPacket at its offset, and the stream stops there", () => {
    const s = new PacketSplitter(() => 4);
    expect(s.push(bytes(0xd0, 0x00))).toEqual([{ type: "pingresp" }]);
    expect(s.push(bytes(0x30, 0xff, 0xff, 0xff, 0xff, 0x01))).toEqual([{ type: "bad", error: "remaining length longer than four bytes", offset: 2 }]);
    expect(s.push(bytes(0xd0, 0x00))).toEqual([]);
  });

  test("a packet type a broker never sends, and a PUBLISH cut short inside its topic", () => {
    expect(new PacketSplitter(() => 4).push(bytes(0x10, 0x00))).toEqual([{ type: "bad", error: "unexpected packet type 1 from a broker", offset: 0 }]);
    expect(new PacketSplitter(() => 4).push(bytes(0xd0, 0x00, 0x30, 0x03, 0x00, 0x05, 0x61))).toEqual([{ type: "pingresp" }, { type: "bad", error: "packet ends early", offset: 2 }]);
  });

  test("a topic that is not UTF-8 is refused", () => {
    const [bad] = new PacketSplitter(() => 4).push(bytes(0x30, 0x04, 0x00, 0x02, 0xc3, 0x28));
    expect(bad).toMatchObject({ type: "bad", offset: 0 });
  });

  test("mutated and random streams never throw; whatever is bad says where", () => {
    const rand = prng(0xbad);
    const good = Buffer.concat([
      mqttPacket.generate({ cmd: "connack", reasonCode: 0, sessionPresent: false }, { protocolVersion: 5 }),
      mqttPacket.generate({ cmd: "publish", topic: "a/b", payload: Buffer.from("hello"), qos: 1, messageId: 3, retain: false, dup: false }, { protocolVersion: 5 }),
      mqttPacket.generate({ cmd: "suback", messageId: 4, granted: [1] }, { protocolVersion: 5 }),
    ]);
    for (let i = 0; i < 2000; i++) {
      const input = i % 2 === 0 ? mutate(rand, good) : randomBytes(rand, (rand() * 64) | 0);
      const s = new PacketSplitter(() => (i % 4 < 2 ? 5 : 4));
      let out: (Incoming | BadPacket)[] = [];
      expect(() => (out = s.push(input))).not.toThrow();
      for (const p of out) if (p.type === "bad") expect(p.offset).toBeGreaterThanOrEqual(0);
    }
  });
});
