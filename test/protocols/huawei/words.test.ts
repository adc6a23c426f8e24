import { expect, test } from "bun:test";
import { inspect } from "node:util";
import { SecretBytes } from "../../../protocols/huawei/secret.ts";
import { bytesToWords, decodeValue, encodeValue, F32, F64, raw, secret, str, U16, U32, wordsToBytes } from "../../../protocols/huawei/words.ts";
import { hex, MOCK_KEY, toHex } from "./vectors.ts";

const w = (x: Uint16Array) => toHex(wordsToBytes(x)).toUpperCase();

test("§2 examples: f32, f64 and MAC, big-endian words and bytes", () => {
  expect(w(encodeValue(F32, 1000.0))).toBe("447A0000");
  expect(w(encodeValue(F64, 12345.678))).toBe("40C81CD6C8B43958");
  expect(w(encodeValue(raw(6), hex("c262f976507c")))).toBe("C262F976507C");
  expect(decodeValue(F64, bytesToWords(hex("40C81CD6C8B43958")))).toBe(12345.678);
  expect(decodeValue(F32, bytesToWords(hex("43638000")))).toBe(227.5);
  expect(decodeValue(U32, bytesToWords(hex("6B0183D5")))).toBe(1795261397);
  expect(toHex(decodeValue(raw(6), bytesToWords(hex("C262F976507C"))))).toBe("c262f976507c");
});

test("strings are left-aligned, 0x00-padded, unterminated when full", () => {
  expect(w(encodeValue(str(8), "v1.2"))).toBe("76312E3200000000");
  expect(w(encodeValue(str(4), "ABCD"))).toBe("41424344");
  expect(decodeValue(str(4), bytesToWords(hex("41424344")))).toBe("ABCD");
  expect(decodeValue(str(22), bytesToWords(hex("30313233343536373839414243444546000000000000")))).toBe("0123456789ABCDEF");
  // An odd field size (none in §3, but the rule is general) ends in the high byte of the last word.
  expect(w(encodeValue(str(3), "abc"))).toBe("61626300");
});

test("values that do not fit are refused with what was expected", () => {
  expect(() => encodeValue(U16, 65536)).toThrow("expected an integer 0..65535, got 65536");
  expect(() => encodeValue(U16, 1.5)).toThrow(RangeError);
  expect(() => encodeValue(U32, -1)).toThrow(RangeError);
  expect(() => encodeValue(F32, Number.NaN)).toThrow("expected a number");
  expect(() => encodeValue(str(4), "ABCDE")).toThrow("expected at most 4 characters, got 5");
  expect(() => encodeValue(str(4), "Aé")).toThrow("expected ASCII text, found character code 233 at 1");
  expect(() => encodeValue(raw(6), new Uint8Array(5))).toThrow("expected exactly 6 bytes, got 5");
});

test("a secret field takes and gives SecretBytes and never shows its bytes", () => {
  const key = new SecretBytes(hex(MOCK_KEY));
  const words = encodeValue(secret(48), key);
  expect(toHex(wordsToBytes(words))).toBe(MOCK_KEY);
  const back = decodeValue(secret(48), words);
  expect(back.equals(key)).toBe(true);
  expect(toHex(back.reveal())).toBe(MOCK_KEY);
  const needle = MOCK_KEY.slice(0, 8);
  for (const text of [String(back), `${back}`, JSON.stringify({ back }), inspect(back), inspect({ nested: [back] }), back.toString()]) {
    expect(text.toLowerCase()).not.toContain(needle);
    expect(text).toContain("[secret 48 bytes]");
    expect(text).not.toMatch(/103,\s*228/); // the first key bytes as a decimal list
  }
  expect(String(back)).toBe("[secret 48 bytes]");
  // A wrong-size key is refused without the key in the message.
  let message = "";
  try {
    encodeValue(secret(48), new SecretBytes(hex(MOCK_KEY).subarray(0, 47)));
  } catch (err) {
    message = String(err);
  }
  expect(message).toContain("expected exactly 48 bytes, got 47");
  expect(message.toLowerCase()).not.toContain(needle);
});
