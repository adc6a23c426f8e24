import { describe, expect, test } from "bun:test";
import { crc32 } from "../../../lib/crc32.ts";
import { ProtocolError } from "../../../lib/errors.ts";
import { chargerStreamDecoder, decodeHandshake, encodeHandshake, FrameReader, MAX_CHARGER_PAYLOAD, type StreamItem } from "../../../protocols/dehne/framing.ts";
import { compatCommandSchema, compatFromCharger, compatNewConnection, decodeBase64 } from "../../../protocols/dehne/compat-messages.ts";
import { decodeChargerFrame, decodeServerFrame, encodeChargerMessage, encodeRequest, type ServerRequest } from "../../../protocols/dehne/wire.ts";
import * as V from "./vectors.ts";

async function decodeStream(chunks: Uint8Array[]): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  const rs = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(ch);
      c.close();
    },
  }).pipeThrough(chargerStreamDecoder());
  const reader = rs.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

function frameOf(bytes: Uint8Array) {
  const r = new FrameReader(MAX_CHARGER_PAYLOAD, new Set([1, 2, 3, 4, 100]), "charger");
  r.push(bytes);
  const f = r.next();
  expect(f).toBeDefined();
  expect(r.buffered).toBe(0);
  return f!;
}

describe("dehne handshake (V1, V2)", () => {
  test("V1 decodes to serial + firmware 4 and new_connection JSON", () => {
    const h = decodeHandshake(V.V1.bytes);
    expect(h).toEqual({ serial: V.SERIAL, firmware: 4 });
    expect(JSON.stringify(compatNewConnection(h.serial, h.firmware))).toBe(V.V1.json);
    expect(encodeHandshake(h)).toEqual(V.V1.bytes);
  });
  test("V2 with a configured name", () => {
    const h = decodeHandshake(V.V2.bytes);
    expect(h.serial).toBe("795AF52150534D53302E3120FF16112E");
    expect(JSON.stringify(compatNewConnection("Charger 2", h.firmware))).toBe(V.V2.json);
    expect(encodeHandshake(h)).toEqual(V.V2.bytes);
  });
});

describe("dehne charger → server frames (V3–V9)", () => {
  const simple = [
    ["V3", V.V3, "pong"],
    ["V4", V.V4, "notify"],
    ["V5", V.V5, "pwm_ack"],
    ["V6", V.V6, "contactor_ack"],
  ] as const;
  for (const [name, v, type] of simple) {
    test(`${name} ${type} both ways`, () => {
      const m = decodeChargerFrame(frameOf(v.bytes), 4);
      expect(m.type).toBe(type);
      expect(JSON.stringify(compatFromCharger(V.SERIAL, m))).toBe(v.json);
      expect(encodeChargerMessage(m, 4)).toEqual(v.bytes);
    });
  }
  test("V7 idle data frame both ways", () => {
    const m = decodeChargerFrame(frameOf(V.V7.bytes), 4);
    expect(JSON.stringify(compatFromCharger(V.SERIAL, m))).toBe(V.V7.json);
    expect(encodeChargerMessage(m, 4)).toEqual(V.V7.bytes);
  });
  test("V8 charging data frame with a log entry both ways", () => {
    const m = decodeChargerFrame(frameOf(V.V8.bytes), 4);
    expect(JSON.stringify(compatFromCharger(V.SERIAL, m))).toBe(V.V8.json);
    expect(encodeChargerMessage(m, 4)).toEqual(V.V8.bytes);
  });
  test("V9 legacy layout (firmware < 3) both ways", () => {
    const m = decodeChargerFrame(frameOf(V.V9.bytes), 2);
    expect(JSON.stringify(compatFromCharger("Charger 2", m))).toBe(V.V9.json);
    expect(encodeChargerMessage(m, 2)).toEqual(V.V9.bytes);
  });
  test("V9 trap: the legacy frame is not read with the ≥ 3 layout", () => {
    const m = decodeChargerFrame(frameOf(V.V9.bytes), 2);
    if (m.type !== "data") throw new Error("expected data");
    expect(m.data.measurements.current_control_pilot_adc).not.toBe(892350512);
    expect(m.data.measurements.current_proximity_pilot_adc).not.toBe(975197047);
    expect(m.data.measurements.logging_buffer.startsWith("itched")).toBe(false);
    // and the ≥ 3 decoder would indeed have fallen into it:
    const wrong = decodeChargerFrame(frameOf(V.V9.bytes), 4);
    if (wrong.type !== "data") throw new Error("expected data");
    expect(wrong.data.measurements.current_control_pilot_adc).toBe(892350512);
  });
});

describe("dehne server → charger requests (V10–V16)", () => {
  const cases: [string, { bytes: Uint8Array; json: string }, ServerRequest][] = [
    ["V10", V.V10, { type: "ping" }],
    ["V11", V.V11, { type: "collect" }],
    ["V12", V.V12, { type: "set_pwm", percent: 50 }],
    ["V13", V.V13, { type: "set_pwm", percent: 100 }],
    ["V14", V.V14, { type: "set_contactor", on: true }],
    ["V15", V.V15, { type: "set_contactor", on: false }],
  ];
  for (const [name, v, req] of cases) {
    test(`${name} JSON → command → bytes → request`, () => {
      const cmd = compatCommandSchema.parse(JSON.parse(v.json));
      expect(cmd.client_id).toBe(V.SERIAL);
      expect(encodeRequest(req)).toEqual(v.bytes);
      const r = new FrameReader(1 << 20, new Set([1, 2, 3, 4, 5]), "server");
      r.push(v.bytes);
      expect(decodeServerFrame(r.next()!)).toEqual(req);
    });
  }
  test("V16 firmware upload with CRC-32", () => {
    const cmd = compatCommandSchema.parse(JSON.parse(V.V16.json));
    if (cmd.message_type !== "request_firmware") throw new Error("wrong type");
    const image = decodeBase64(cmd.firmware.firmware_data_base64);
    expect(new TextDecoder().decode(image)).toBe("123456789");
    expect(crc32(image)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(encodeRequest({ type: "firmware", crc32: cmd.firmware.firmware_crc32, image })).toEqual(V.V16.bytes);
  });
  test("PWM outside 0–100 never reaches the wire", () => {
    expect(() => encodeRequest({ type: "set_pwm", percent: 101 })).toThrow(ProtocolError);
    expect(() => encodeRequest({ type: "set_pwm", percent: 5.5 })).toThrow(ProtocolError);
  });
});

describe("dehne negative vectors", () => {
  test("N1: length 1025 is accepted when the payload follows (limit ≥ 1068)", async () => {
    const payload = new Uint8Array(1025);
    payload[0] = 1;
    payload[1] = 54;
    payload[3] = 2;
    const frame = new Uint8Array(5 + 1025);
    frame.set([2, 0, 0, 4, 1]);
    frame.set(payload, 5);
    const items = await decodeStream([V.V1.bytes, frame]);
    expect(items.map((i) => i.kind)).toEqual(["handshake", "frame"]);
  });
  test("N1b: a length above 1068 is fatal", async () => {
    const items = await decodeStream([V.V1.bytes, Uint8Array.of(2, 0, 0, 4, 0x2d)]);
    expect(items.at(-1)?.kind).toBe("fatal");
  });
  test("N2: unknown type closes the stream (fatal)", async () => {
    const items = await decodeStream([V.V1.bytes, V.hex("07 00 00 00 00"), V.V3.bytes]);
    expect(items.map((i) => i.kind)).toEqual(["handshake", "fatal"]);
    const fatal = items[1];
    if (fatal?.kind !== "fatal") throw new Error("expected fatal");
    expect(fatal.error.message).toContain("unknown charger frame type 7");
  });
  test("N3: pilot_voltage out of range is reported, not fatal", () => {
    const bad = V.V7.bytes.slice();
    bad[7] = 5;
    const e = (() => {
      try {
        decodeChargerFrame(frameOf(bad), 4);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).fatal).toBe(false);
    expect((e as ProtocolError).message).toContain("pilot_voltage 5 out of range 0–4");
  });
  test("N4: data shorter than the layout is a bad frame, not fatal", () => {
    const short = new Uint8Array(5 + 16);
    short.set([2, 0, 0, 0, 0x10]);
    expect(() => decodeChargerFrame(frameOf(short), 4)).toThrow(/shorter than the 44-byte layout/);
  });
  test("frames split at every byte boundary decode the same", async () => {
    const all = new Uint8Array([...V.V1.bytes, ...V.V8.bytes, ...V.V4.bytes, ...V.V3.bytes]);
    const oneByOne = await decodeStream([...all].map((b) => Uint8Array.of(b)));
    const whole = await decodeStream([all]);
    expect(oneByOne).toEqual(whole);
    expect(whole.map((i) => (i.kind === "frame" ? i.frame.type : i.kind))).toEqual(["handshake", 2, 100, 1]);
  });
});

describe("compat command validation (negative MQTT vectors)", () => {
  const bad = [
    `{"message_type":"request_set_pwm_percent","client_id":"X"}`,
    `{"message_type":"request_set_pwm_percent","client_id":"X","pwm_percent":101}`,
    `{"message_type":"request_set_contactor_state","client_id":"X","contactor_state":"on"}`,
    `{"message_type":"notify","client_id":"X"}`,
    `{"message_type":"request_firmware","client_id":"X","firmware":{"firmware_data_base64":"not base64!","firmware_crc32":1}}`,
    `{"client_id":"X"}`,
  ];
  for (const b of bad) {
    test(`refused: ${b}`, () => {
      expect(compatCommandSchema.safeParse(JSON.parse(b)).success).toBe(false);
    });
  }
  test("extra fields are ignored as in the original", () => {
    expect(compatCommandSchema.safeParse({ message_type: "request_ping", client_id: "X", extra: 1 }).success).toBe(true);
  });
});
