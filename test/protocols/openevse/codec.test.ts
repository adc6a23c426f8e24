// Spec §12.1/§12.2 byte for byte, both checksum kinds, and the decoder's handling of everything else.

import { describe, expect, test } from "bun:test";
import { sumChecksum, withChecksum, xorChecksum } from "../../../protocols/openevse/checksum.ts";
import { commandEncoder, commandText, decode, encodeCommand, rapiDecoder, RapiEncodeError, SequenceCounter, type Command, type FrameOrBad } from "../../../protocols/openevse/codec.ts";
import { formatFrame, latin1Bytes, latin1Text, parseLine } from "../../../protocols/openevse/frame.ts";
import { formatNotification } from "../../../protocols/openevse/notifications.ts";
import { COMMANDS, NOTIFICATIONS, REPLIES } from "./vectors.ts";

/** "$SC 16 V :07" → the Command it came from. */
function commandOf(text: string): Command {
  const tokens = text.slice(1).split(" ");
  const code = tokens.shift() ?? "";
  const last = tokens[tokens.length - 1];
  if (last?.startsWith(":")) {
    tokens.pop();
    return { code, params: tokens, seq: parseInt(last.slice(1), 16) };
  }
  return { code, params: tokens };
}

function only(items: FrameOrBad[]): FrameOrBad {
  expect(items.length).toBe(1);
  const [item] = items;
  if (!item) throw new Error("no item");
  return item;
}

describe("§12.1 commands", () => {
  test.each(COMMANDS)("%s → %s / %s", (text, xor, sum) => {
    const cmd = commandOf(text);
    // The FP vector is 22 characters, so every vector fits the 31-character limit.
    expect(commandText(cmd)).toBe(xor);
    expect(commandText(cmd, { checksum: "sum" })).toBe(sum);
    expect(commandText(cmd, { checksum: "none" })).toBe(text);
    expect([...encodeCommand(cmd)]).toEqual([...latin1Bytes(xor), 0x0d]);
    expect([...encodeCommand(cmd, { checksum: "sum" })]).toEqual([...latin1Bytes(sum), 0x0d]);
    // And the host decoder reads both back (as commands: what an echo would look like).
    for (const line of [xor, sum]) {
      const item = only(decode(`${line}\r`));
      if (item.kind !== "command") throw new Error(`${line}: ${item.kind}`);
      expect(item.frame.code).toBe(cmd.code);
      expect(item.frame.params).toEqual([...(cmd.params ?? [])]);
      expect(item.frame.seq).toBe(cmd.seq ?? null);
      expect(item.frame.checksum).toBe(line === xor ? "xor" : "sum");
    }
  });

  test("the §3 worked examples and §12.3's $SC 13", () => {
    expect(xorChecksum("$GS")).toBe(0x30);
    expect(sumChecksum("$GS")).toBe(0xbe);
    expect(commandText({ code: "SC", params: ["13"] })).toBe("$SC 13^16");
    expect(commandText({ code: "SC", params: ["13"] }, { checksum: "sum" })).toBe("$SC 13*3E");
  });
});

describe("§12.2 replies and notifications", () => {
  test.each(Object.entries(REPLIES))("%s %s", (_name, line) => {
    const item = only(decode(`${line}\r`));
    if (item.kind !== "reply") throw new Error(`${line}: ${item.kind}`);
    expect(item.ok).toBe(line.startsWith("$OK"));
    expect(item.frame.text).toBe(line);
  });

  test("fields, sequence ids and the 0x00 checksum", () => {
    const seq = only(decode(`${REPLIES.gsReadySeq}\r`));
    expect(seq.kind === "reply" && seq.fields).toEqual(["01", "0", "01", "0200"]);
    expect(seq.kind === "reply" && seq.frame.seq).toBe(7);
    expect(only(decode(`${REPLIES.sc24Seq}\r`))).toMatchObject({ kind: "reply", ok: true, fields: ["24"], frame: { seq: 0x2a } });
    expect(only(decode(`${REPLIES.scClamped}\r`))).toMatchObject({ kind: "reply", ok: false, fields: ["32"] });
    expect(only(decode("$OK 13^02\r"))).toMatchObject({ kind: "reply", fields: ["13"] });
  });

  test("notifications are typed and re-encode to the same bytes", () => {
    const typed = Object.values(NOTIFICATIONS).map((line) => {
      const item = only(decode(`${line}\r`));
      if (item.kind !== "notification") throw new Error(`${line}: ${item.kind}`);
      expect(formatNotification(item.notification)).toBe(line);
      return item.notification;
    });
    expect(typed).toEqual([
      { type: "AT", state: 3, pilot: 3, currentA: 32, vflags: 0x0140 },
      { type: "AT", state: 0xfe, pilot: 2, currentA: 16, vflags: 0x0100 },
      { type: "AT", state: 2, pilot: 2, currentA: 16, vflags: 0x0100 },
      { type: "AB", state: 0, firmware: "8.2.3" },
      { type: "AB", state: 0, firmware: "8.2.1" },
      { type: "AN", press: "short" },
      { type: "WF", mode: 2 },
    ]);
  });

  test("legacy $ST with one decimal field is a notification; $ST with four is the timer command", () => {
    const st = only(decode(`${formatNotification({ type: "ST", state: 254 })}\r`));
    expect(st).toMatchObject({ kind: "notification", notification: { type: "ST", state: 254 } });
    expect(only(decode("$ST 0 0 0 0^23\r")).kind).toBe("command");
  });

  test("a malformed notification is a bad value naming the field", () => {
    const item = only(decode(`${formatNotification({ type: "unknown", code: "AT", params: ["03", "03", "x2", "0140"] })}\r`));
    expect(item).toMatchObject({ kind: "bad", reason: "malformed" });
    expect(item.kind === "bad" && item.message).toContain("field 3 (current capacity A)");
  });

  test("an unknown $A… code is kept as a notification", () => {
    const line = formatNotification({ type: "unknown", code: "AX", params: ["1"] });
    expect(only(decode(`${line}\r`))).toMatchObject({ kind: "notification", notification: { type: "unknown", code: "AX", params: ["1"] } });
  });

  test("$GI's double space survives as an empty field", () => {
    const r = parseLine("$OK  ABCDEF0011AABB");
    expect(r.ok && r.frame.params).toEqual(["", "ABCDEF0011AABB"]);
  });
});

describe("decoder: what a real line carries besides frames", () => {
  test("LF after CR, stray LFs, garbage lines, and a $ restarting a frame", () => {
    const items = decode(`\n$OK^20\r\nZ0 10 20\r$GS$OK 24^06\r\xff\xfe`);
    expect(items.map((i) => i.kind)).toEqual(["reply", "bad", "bad", "reply", "bad"]);
    expect(items[1]).toMatchObject({ reason: "garbage", offset: 9, length: 8, text: "Z0 10 20" });
    expect(items[2]).toMatchObject({ reason: "truncated", offset: 18, text: "$GS" });
    expect(items[3]).toMatchObject({ offset: 21 });
    expect(items[4]).toMatchObject({ reason: "garbage", offset: 31, length: 2 });
  });

  test("checksum failures, missing checksums, lower-case digits, bad syntax", () => {
    expect(only(decode("$OK^21\r"))).toMatchObject({ kind: "bad", reason: "checksum" });
    expect(only(decode("$OK 1^30\r"))).toMatchObject({ kind: "bad", reason: "checksum" });
    expect(only(decode("$OK\r"))).toMatchObject({ kind: "bad", reason: "missing-checksum" });
    expect(only(decode("$OK\r", { requireChecksum: false }))).toMatchObject({ kind: "reply", frame: { checksum: "none" } });
    expect(only(decode("$AT fe 02 16 0100^36\r")).kind).toBe("notification");
    expect(only(decode("$OK 1^3\r"))).toMatchObject({ kind: "bad", reason: "syntax" });
    expect(only(decode(`${withChecksum("$ok", "xor")}\r`))).toMatchObject({ kind: "bad", reason: "syntax", message: '"$ok" is not $ followed by two upper-case letters or digits' });
    expect(only(decode("$OK\n^20\r"))).toMatchObject({ kind: "bad", reason: "syntax" });
    // Sequence id 00 is reserved (§4).
    expect(only(decode(`${formatFrame("OK", [], { seq: 0 })}\r`))).toMatchObject({ kind: "bad", reason: "syntax", message: "sequence id 00 is reserved" });
  });

  test("a line over the bound is reported once, with its real length, and the next frame is intact", () => {
    const long = `$OK ${"9".repeat(100)}^00\r$OK^20\r`;
    const items = decode(long, { maxLine: 40 });
    expect(items[0]).toMatchObject({ kind: "bad", reason: "too-long", offset: 0, length: 107 });
    expect(items[1]).toMatchObject({ kind: "reply", offset: 108 });
  });

  test("the end of the stream reports an unfinished frame", () => {
    expect(decode("$OK 2")).toMatchObject([{ kind: "bad", reason: "truncated", text: "$OK 2" }]);
  });

  test("the stream stage splits across arbitrary chunks the same way", async () => {
    const text = `${REPLIES.gsCharging}\r\n${NOTIFICATIONS.atCharging}\rjunk${REPLIES.nk}\r`;
    const bytes = latin1Bytes(text);
    const whole = decode(bytes);
    const rs = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.subarray(i, i + 3));
        c.close();
      },
    }).pipeThrough(new TransformStream(rapiDecoder()));
    const got: FrameOrBad[] = [];
    for await (const item of rs) got.push(item);
    expect(got).toEqual(whole);
    expect(got.map((g) => g.kind)).toEqual(["reply", "notification", "bad", "reply"]);
  });
});

describe("encoder", () => {
  test("refuses what the controller would drop or split, with a reason", () => {
    const bad: [Command, string][] = [
      [{ code: "FP", params: ["0", "0", "Thistextiswaytoolongforoneframe"] }, "silently drops frames over 31"],
      [{ code: "FP", params: ["0", "0", "a b"] }, "contains a space"],
      [{ code: "SC", params: ["16", ""] }, "is empty"],
      [{ code: "SC", params: ["1$"] }, "contains a space, $"],
      [{ code: "FP", params: ["0", "0", "5\u20ac"] }, "beyond one byte"],
      [{ code: "FP", params: ["0", "0", "a\tb"] }, "control character"],
      [{ code: "sc", params: ["16"] }, "two upper-case"],
      [{ code: "GS", seq: 0 }, "00 is reserved"],
      [{ code: "FP", params: ["1", "2", "3", "4", "5", "6", "7", "8", "9"], seq: 1 }, "at most 10"],
    ];
    for (const [cmd, why] of bad) expect(() => encodeCommand(cmd)).toThrow(why);
    expect(() => encodeCommand({ code: "GS" })).not.toThrow();
    // The gateway library's 0xFE stands in for spaces inside $FP text; it is one byte and passes.
    expect(commandText({ code: "FP", params: ["0", "0", "Hi\u00feyou"] }, { checksum: "none" })).toBe("$FP 0 0 Hi\u00feyou");
  });

  test("sequence ids run 1…255 and skip the reserved 00", () => {
    const c = new SequenceCounter();
    const ids = Array.from({ length: 257 }, () => c.next());
    expect(ids.slice(0, 2)).toEqual([1, 2]);
    expect(ids.slice(253)).toEqual([254, 255, 1, 2]);
    expect(ids).not.toContain(0);
  });

  test("the stream stage numbers commands, keeps given ids, and reports rejects without dying", async () => {
    const rejected: string[] = [];
    const enc = new TransformStream(commandEncoder({ sequenceIds: true, onReject: (c, e) => rejected.push(`${c.code}: ${e instanceof RapiEncodeError}`) }));
    const out: string[] = [];
    const done = enc.readable.pipeTo(new WritableStream({ write: (b) => void out.push(latin1Text(b)) }));
    const w = enc.writable.getWriter();
    await w.write({ code: "GS" });
    await w.write({ code: "FP", params: ["0", "0", "much too long for one frame"] });
    await w.write({ code: "SC", params: ["16", "V"], seq: 7 });
    await w.write({ code: "GS" });
    await w.close();
    await done;
    expect(out).toEqual(["$GS :01^2B\r", "$SC 16 V :07^78\r", "$GS :03^29\r"]);
    expect(rejected).toEqual(["FP: true"]);
  });
});
