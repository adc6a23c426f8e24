// The RAPI session against a scripted controller on a real loopback socket: reply matching in
// order and by sequence id, late and corrupt replies, echoes, notifications in between, timeouts
// and the answering state. Nothing a controller does may stall the queue.
import { afterEach, expect, test } from "bun:test";
import { TimeoutError } from "../../../lib/errors.ts";
import { framed, type Link } from "../../../lib/link.ts";
import { silentLogger } from "../../../lib/log.ts";
import type { Listener } from "../../../lib/sockets.ts";
import { dialTcp, listenTcp } from "../../../lib/tcp.ts";
import { rapiHostCodec } from "../../../protocols/openevse/codec.ts";
import { formatFrame, latin1Bytes, latin1Text } from "../../../protocols/openevse/frame.ts";
import { Monitor } from "../../../protocols/openevse/monitor.ts";
import { RapiSession, type SessionEvent } from "../../../protocols/openevse/session.ts";
import { until } from "../../support/until.ts";

/** A controller whose every answer is written by the test: `script(line)` returns raw text to send back. */
class Scripted {
  lines: string[] = [];
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private constructor(readonly server: Listener) {}

  static async start(script: (line: string, peer: Scripted) => string): Promise<Scripted> {
    let peer: Scripted | undefined;
    const server = await listenTcp({ host: "127.0.0.1", port: 0 }, (link) => void peer?.serve(link, script));
    peer = new Scripted(server);
    return peer;
  }

  private async serve(link: Link, script: (line: string, peer: Scripted) => string): Promise<void> {
    this.writer = link.writable.getWriter();
    let buf = "";
    const reader = link.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done || !value) break;
      buf += latin1Text(value);
      for (let i = buf.indexOf("\r"); i >= 0; i = buf.indexOf("\r")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        const out = script(line, this);
        if (out) await this.writer.write(latin1Bytes(out));
      }
    }
  }

  say(text: string): Promise<void> {
    return this.writer?.write(latin1Bytes(text)) ?? Promise.resolve();
  }
}

/** The reply the real controller gives: `$OK fields [:SS]^XK\r`, the sequence id echoed when the command had one. */
function ok(line: string, ...fields: string[]): string {
  const seq = /:([0-9A-F]{2})\^/.exec(line)?.[1];
  return `${formatFrame("OK", fields, { seq: seq === undefined ? null : parseInt(seq, 16) })}\r`;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function session(peer: Scripted, opts = { replyTimeoutMs: 150, offlineAfterMisses: 2 }) {
  const link = await dialTcp({ host: "127.0.0.1", port: peer.server.port });
  const s = new RapiSession(framed(link, rapiHostCodec), opts, silentLogger);
  const events: SessionEvent[] = [];
  const done = s.events.pipeTo(new WritableStream({ write: (e) => void events.push(e) }));
  cleanups.push(async () => {
    s.close("test over");
    await done.catch(() => {});
    await peer.server.close();
  });
  return { s, events };
}

test("replies in order without sequence ids; an echoed command and a notification in between change nothing", async () => {
  const peer = await Scripted.start((line) => {
    if (line.startsWith("$GV")) return `${line}\r\n$AT 02 02 32 0100^37\r${ok(line, "8.2.3", "5.2.1")}`;
    return ok(line, "fe", "120", "02", "0100");
  });
  const { s, events } = await session(peer);
  const [gv, gs] = await Promise.all([s.request({ code: "GV" }), s.request({ code: "GS" })]);
  expect(gv).toEqual({ ok: true, fields: ["8.2.3", "5.2.1"], text: "$OK 8.2.3 5.2.1^2F" });
  expect(gs.text).toBe("$OK fe 120 02 0100^13");
  expect(s.counters.echoes).toBe(1);
  // One command in flight: $GS went out only after $GV's reply.
  expect(peer.lines).toEqual(["$GV^35", "$GS^30"]);
  expect(events.filter((e) => e.kind === "answering")).toEqual([{ kind: "answering", answering: true }]);
});

test("sequence ids: a late reply to a timed-out command is dropped and never answers the next one", async () => {
  let first = true;
  const peer = await Scripted.start((line, p) => {
    if (first) {
      first = false;
      // Answered long after the timeout.
      setTimeout(() => void p.say(ok(line, "late")), 300);
      return "";
    }
    return ok(line, "fresh");
  });
  const { s } = await session(peer);
  s.useSequenceIds(true);
  await expect(s.request({ code: "GS" })).rejects.toBeInstanceOf(TimeoutError);
  const next = s.request({ code: "GE" }, { timeoutMs: 2000 });
  await until(() => s.counters.stale === 1, "the late reply to arrive and be dropped", 3000);
  expect((await next).fields).toEqual(["fresh"]);
  expect(peer.lines.map((l) => l.replace(/\^..$/, ""))).toEqual(["$GS :01", "$GE :02"]);
});

test("a corrupt reply fails its command at once (a get is retried once); the queue moves on", async () => {
  let n = 0;
  const peer = await Scripted.start((line) => {
    n++;
    if (n <= 2) return "$OK 32 0201^FF\r";
    return ok(line, "32", "0201");
  });
  const { s } = await session(peer, { replyTimeoutMs: 5000, offlineAfterMisses: 2 });
  const t0 = Date.now();
  await expect(s.request({ code: "GE" }, { retry: true })).rejects.toThrow("corrupt reply");
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(n).toBe(2);
  expect((await s.request({ code: "GE" })).fields).toEqual(["32", "0201"]);
  expect(s.counters.bad).toBe(2);
});

test("missed replies: the controller counts as not answering, and as answering with the next frame", async () => {
  let mute = true;
  const peer = await Scripted.start((line) => (mute ? "" : ok(line)));
  const { s, events } = await session(peer);
  mute = false;
  await s.request({ code: "GV" });
  mute = true;
  await expect(s.request({ code: "GS" })).rejects.toBeInstanceOf(TimeoutError);
  await expect(s.request({ code: "GS" })).rejects.toBeInstanceOf(TimeoutError);
  expect(s.answering).toBe(false);
  await peer.say(`${formatFrame("AT", ["01", "01", "32", "0200"])}\r`);
  await until(() => s.answering, "a notification to bring it back");
  expect(events.filter((e) => e.kind === "answering").map((e) => e.kind === "answering" && e.answering)).toEqual([true, false, true]);
  // $FR expects no reply: it settles once written, and a command the controller would drop never leaves.
  expect(await s.request({ code: "FR" })).toEqual({ ok: true, fields: [], text: "" });
  await expect(s.request({ code: "FP", params: ["0", "0", "a-very-long-text-for-one-frame"] })).rejects.toThrow("31");
  await until(() => peer.lines.at(-1) === "$FR^30", "$FR to arrive, and nothing after it");
});

test("more than 20 commands waiting are refused at once, and every waiting one fails when the link closes", async () => {
  const peer = await Scripted.start(() => "");
  const { s } = await session(peer, { replyTimeoutMs: 10_000, offlineAfterMisses: 2 });
  const waiting = Array.from({ length: 21 }, () => s.request({ code: "GS" }).catch((e: unknown) => e));
  await expect(s.request({ code: "GS" })).rejects.toThrow("busy");
  s.close("test closes the link");
  for (const w of await Promise.all(waiting)) expect(String(w)).toContain("closed");
});

test("RAPI 4.0.1 (§8.6): sequence ids after $GV, no heartbeat, 2-field $GS with a decimal state, $ST notifications", async () => {
  let state = "254";
  const peer = await Scripted.start((line) => {
    const code = line.slice(1, 3);
    const replies: Record<string, string[]> = { GV: ["D4.10.4.EU", "4.0.1"], GE: ["32", "0201"], GC: ["6", "32"], GF: ["0", "0", "0"], GS: [state, "120"], GU: ["0", "1500"], GP: ["250", "-2560", "-2560"] };
    const fields = replies[code];
    return fields ? ok(line, ...fields) : `${formatFrame("NK", [])}\r`;
  });
  const { s, events } = await session(peer);
  const monitor = new Monitor(s, { heartbeatIntervalS: 5, heartbeatCurrentA: 6, fullDumpS: 30, tickMs: 50 }, silentLogger);
  monitor.start();
  cleanups.push(async () => monitor.stop());
  await until(() => events.some((e) => e.kind === "up"), "start-up done");
  // The seed's screenshot reply ($OK D4.10.4.EU 4.0.1^6E) was read; 254 is decimal before RAPI 5.
  expect(monitor.view).toMatchObject({ firmware: "D4.10.4.EU", protocol: "4.0.1", state: 254, elapsedS: 120, maxA: 32, hwMaxA: 32, pilotA: null, totalWh: 1500 });
  expect(peer.lines.some((l) => l.startsWith("$SY") || l.startsWith("$GY") || l.startsWith("$GI"))).toBe(false);
  // $GV goes out plain (the version is not known yet); from then on numbered (≥ 3.0.0).
  expect(peer.lines[0]).toBe("$GV^35");
  expect(peer.lines.slice(1).every((l) => / :[0-9A-F]{2}\^/.test(l))).toBe(true);
  state = "3";
  await peer.say(`${formatFrame("ST", ["3"])}\r`);
  await until(() => monitor.view.state === 3, "the $ST notification taken as the new state");
});
