import { expect, test } from "bun:test";
import { encodeFrame } from "../../../protocols/huawei/goose/frame.ts";
import { encodeGoosePdu } from "../../../protocols/huawei/goose/pdu.ts";
import { messagePdu } from "../../../protocols/huawei/goose/datasets.ts";
import { receiveFrame, type ReceivePolicy } from "../../../protocols/huawei/goose/receive.ts";
import { gapBefore, Retransmitter, sendOffsets } from "../../../protocols/huawei/goose/retransmit.ts";
import { SecretBytes } from "../../../protocols/huawei/secret.ts";
import { mutate, prng, randomBytes } from "../../support/prng.ts";
import { DISPENSER_MAC, G1, G3, G4, G4_UNSIGNED } from "./goose-vectors.ts";
import { hex, MOCK_KEY } from "./vectors.ts";

const KEY = new SecretBytes(hex(MOCK_KEY));

function policy(over: Partial<ReceivePolicy> = {}): ReceivePolicy {
  return {
    ownMac: hex(DISPENSER_MAC),
    allowInsecure: false,
    verifySigned: true,
    connector: (n) => (n === 1 ? { key: KEY } : undefined),
    ...over,
  };
}

test("§6.4: a signed reply for our connector with the right key is accepted", () => {
  const r = receiveFrame(hex(G4), policy());
  expect(r).toEqual({
    accepted: true,
    signed: true,
    reply: { dataset: "PowerRequestReply", connector: 1, chargingSn: 0xffff, requirement: 1, result: 0, mode: 2, voltage: 0, current: 0 },
  });
});

test("§6.4: frames arrive with or without the 802.1Q tag (VLAN offload)", () => {
  const untagged = G4.replace("8100a000 ", "");
  expect(receiveFrame(hex(untagged), policy()).accepted).toBe(true);
});

test("§6.4: unsigned replies only with allow_insecure and without verification", () => {
  const plain = hex(G4_UNSIGNED);
  expect(receiveFrame(plain, policy())).toMatchObject({ accepted: false, reason: "unsigned frame and insecure GOOSE is not allowed" });
  expect(receiveFrame(plain, policy({ allowInsecure: true }))).toMatchObject({ accepted: false, reason: expect.stringContaining("while HMAC verification is on") });
  expect(receiveFrame(plain, policy({ allowInsecure: true, verifySigned: false }))).toMatchObject({ accepted: true, signed: false });
  // Signed frames pass without verification even when the key is unknown.
  expect(receiveFrame(hex(G4), policy({ verifySigned: false, connector: () => ({ key: undefined }) }))).toMatchObject({ accepted: true, signed: true });
});

test("§6.4: our own frames, other goIDs, other connectors, missing or wrong keys are refused", () => {
  const own = receiveFrame(hex(G1), policy()); // G1's source is our MAC
  expect(own).toEqual({ accepted: false, ignored: true, reason: "our own frame" });
  // A PowerRequest seen from another sender is not a reply.
  expect(receiveFrame(hex(G3), policy({ ownMac: hex("000000000001") }))).toMatchObject({ accepted: false, ignored: false, reason: expect.stringContaining("is not CC/0$GO$PowerRequestReply") });
  expect(receiveFrame(hex(G4), policy({ connector: () => undefined }))).toMatchObject({ reason: "reply for global connector 1, which is not on this dispenser" });
  expect(receiveFrame(hex(G4), policy({ connector: () => ({ key: undefined }) }))).toMatchObject({ reason: "signed reply for connector 1, which has no key yet" });
  const wrong = hex(MOCK_KEY);
  wrong[47] = 0;
  const r = receiveFrame(hex(G4), policy({ connector: () => ({ key: new SecretBytes(wrong) }) }));
  expect(r).toMatchObject({ accepted: false, reason: "HMAC of the reply for connector 1 does not match its key" });
  expect(JSON.stringify(r)).not.toContain(MOCK_KEY.slice(0, 10));
});

test("receiving never throws; changed bytes under the HMAC are never accepted while verifying", () => {
  const rand = prng(0x6005);
  const base = hex(G4);
  for (let i = 0; i < 5_000; i++) {
    const b = base.slice();
    const at = 16 + ((rand() * (b.length - 16)) | 0);
    b[at] = ((b[at] ?? 0) + 1 + ((rand() * 255) | 0)) & 0xff;
    expect(receiveFrame(b, policy()).accepted).toBe(false);
    // Broader damage (inserts, deletes, truncation, noise) must not throw either.
    const m = rand() < 0.5 ? mutate(rand, base) : randomBytes(rand, (rand() * 300) | 0);
    const verifySigned = rand() < 0.5;
    expect(() => receiveFrame(m, policy({ allowInsecure: true, verifySigned }))).not.toThrow();
  }
  // Destination MAC, source MAC and tag are outside the HMAC by design (§6.1): changes there still pass.
  const dst = base.slice();
  dst[0] = 0x00;
  expect(receiveFrame(dst, policy()).accepted).toBe(true);
});

test("§6.2: send offsets 0, 2, 4, 8, 16 ms, then every second", () => {
  expect(sendOffsets(8)).toEqual([0, 2, 4, 8, 16, 1016, 2016, 3016]);
  expect([1, 2, 3, 4, 5, 500].map(gapBefore)).toEqual([2, 2, 4, 8, 1000, 1000]);
});

test("§6.2: every re-send takes a new stNum with sqNum 0; repeats count sqNum up", () => {
  const r = new Retransmitter();
  expect(r.take(0)).toBeUndefined();
  r.restart(100);
  const sends: string[] = [];
  for (let now = 100; now <= 2200; now++) {
    const s = r.take(now);
    if (s) sends.push(`${now}:${s.stNum}/${s.sqNum}`);
  }
  expect(sends).toEqual(["100:1/0", "102:1/1", "104:1/2", "108:1/3", "116:1/4", "1116:1/5", "2116:1/6"]);
  r.restart(2300);
  expect(r.take(2300)).toEqual({ stNum: 2, sqNum: 0 });
  // A late timer sends once and keeps counting from the real send time.
  expect(r.take(2400)).toEqual({ stNum: 2, sqNum: 1 });
  expect(r.take(2401)).toBeUndefined();
  expect(r.nextAt).toBe(2402);
  r.stop();
  expect(r.take(99_999)).toBeUndefined();
});

test("§6.2: stNum is a 16-bit counter", () => {
  const r = new Retransmitter();
  for (let i = 0; i < 0xffff; i++) r.restart(0);
  expect(r.take(0)).toEqual({ stNum: 0xffff, sqNum: 0 });
  r.restart(1);
  expect(r.take(1)).toEqual({ stNum: 0, sqNum: 0 });
});

test("a frame built for a re-send differs from the previous one only in stNum, sqNum, time and HMAC", () => {
  const message = { dataset: "PowerRequest", connector: 1, chargingSn: 0xffff, requirement: 1, mode: 2, voltage: 0, current: 0 } as const;
  const build = (stNum: number, sqNum: number) =>
    encodeFrame({ destination: hex("c262f976507c"), source: hex(DISPENSER_MAC), tci: 0xa000, appId: 1, pdu: encodeGoosePdu(messagePdu(message, { timestamp: { seconds: 1, fraction: 0, quality: 10 }, stNum, sqNum })) }, KEY);
  const a = build(1, 0);
  const b = build(2, 0);
  expect(a.length).toBe(b.length);
  const diff = [...a.keys()].filter((i) => a[i] !== b[i]);
  expect(diff.every((i) => i >= a.length - 32 || (i >= 18 && i < a.length - 35))).toBe(true);
  expect(receiveFrame(a, policy()).accepted).toBe(false); // a request, not a reply
});
