// lib/exchange.ts: matching by key, order among equal keys, slots, timeouts, unsolicited frames, close.
import { expect, test } from "bun:test";
import { CommandError, TimeoutError } from "../../lib/errors.ts";
import { Exchange } from "../../lib/exchange.ts";

interface Msg {
  key: string;
  body: string;
}

function rig(o: { maxInFlight?: number; maxQueued?: number; timeoutMs?: number; onTimeout?: (e: TimeoutError) => void } = {}) {
  const sent: Msg[] = [];
  let failWrites = false;
  const x = new Exchange<Msg, Msg>({
    send: async (m) => {
      if (failWrites) throw new Error("socket gone");
      sent.push(m);
    },
    keyOf: (m) => (m.key === "unsolicited" ? undefined : m.key),
    maxInFlight: o.maxInFlight ?? 1,
    maxQueued: o.maxQueued ?? 10,
    timeoutMs: o.timeoutMs ?? 1000,
    ...(o.onTimeout ? { onTimeout: o.onTimeout } : {}),
  });
  return { x, sent, breakWrites: () => (failWrites = true) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

test("one in flight: the next request is sent only once the first is answered", async () => {
  const { x, sent } = rig();
  const a = x.request({ key: "a", body: "1" }, { key: "a" });
  const b = x.request({ key: "b", body: "2" }, { key: "b" });
  await tick();
  expect(sent.map((m) => m.body)).toEqual(["1"]);
  expect(x.receive({ key: "b", body: "too early" })).toBe(false);
  expect(x.receive({ key: "a", body: "A" })).toBe(true);
  expect(await a).toEqual({ key: "a", body: "A" });
  await tick();
  expect(sent.map((m) => m.body)).toEqual(["1", "2"]);
  x.receive({ key: "b", body: "B" });
  expect((await b)?.body).toBe("B");
});

test("keyed with several in flight: replies in any order, equal keys answered oldest first", async () => {
  const { x, sent } = rig({ maxInFlight: 3 });
  const p = [x.request({ key: "k", body: "1" }, { key: "k" }), x.request({ key: "j", body: "2" }, { key: "j" }), x.request({ key: "k", body: "3" }, { key: "k" })];
  await tick();
  expect(sent.length).toBe(3);
  x.receive({ key: "j", body: "J" });
  x.receive({ key: "k", body: "K1" });
  x.receive({ key: "k", body: "K2" });
  expect((await Promise.all(p)).map((m) => m?.body)).toEqual(["K1", "J", "K2"]);
});

test("a frame may name several candidate keys; the first with a waiter takes it", async () => {
  const x = new Exchange<string, string>({ send: async () => {}, keyOf: () => ["x:1", "x:2"], maxInFlight: 5, maxQueued: 5, timeoutMs: 1000 });
  const p = x.request("get", { key: "x:2" });
  await tick();
  expect(x.receive("answer")).toBe(true);
  expect(await p).toBe("answer");
});

test("unsolicited frames are not taken; no reply expected settles once written", async () => {
  const { x, sent } = rig();
  expect(x.receive({ key: "unsolicited", body: "" })).toBe(false);
  expect(await x.request({ key: "fw", body: "image" }, { key: undefined })).toBeUndefined();
  expect(sent.map((m) => m.body)).toEqual(["image"]);
  expect(x.pending).toBe(0);
});

test("timeout rejects with TimeoutError naming the reply, runs onTimeout, and moves on", async () => {
  const timeouts: string[] = [];
  const { x, sent } = rig({ timeoutMs: 30, onTimeout: (e) => timeouts.push(e.message) });
  const a = x.request({ key: "a", body: "1" }, { key: "a", what: "data reply" });
  const b = x.request({ key: "b", body: "2" }, { key: "b" });
  await expect(a).rejects.toBeInstanceOf(TimeoutError);
  expect(timeouts).toEqual(["no data reply within 0.03 s"]);
  await tick();
  expect(sent.map((m) => m.body)).toEqual(["1", "2"]);
  x.receive({ key: "a", body: "late" });
  x.receive({ key: "b", body: "B" });
  expect((await b)?.body).toBe("B");
});

test("a full queue is refused at once; a failed write fails only that request", async () => {
  const { x, breakWrites } = rig({ maxQueued: 2 });
  const a = x.request({ key: "a", body: "1" }, { key: "a" });
  const b = x.request({ key: "b", body: "2" }, { key: "b" });
  await tick();
  const c = x.request({ key: "c", body: "3" }, { key: "c" });
  const d = x.request({ key: "d", body: "4" }, { key: "d" });
  await expect(d).rejects.toBeInstanceOf(CommandError);
  breakWrites();
  x.receive({ key: "a", body: "A" });
  await a;
  await expect(b).rejects.toThrow("write failed: socket gone");
  await expect(c).rejects.toThrow("write failed: socket gone");
});

test("wait() needs no slot; fail() and settle() answer by key; close() rejects everything and what comes later", async () => {
  const { x, sent } = rig();
  const login = x.wait("login", 1000, "LoginResponse");
  const a = x.request({ key: "a", body: "1" }, { key: "a" });
  await tick();
  expect(sent.length).toBe(1);
  expect(x.settle("login", { key: "login", body: "ok" })).toBe(true);
  expect((await login).body).toBe("ok");
  expect(x.fail("a", new Error("undecodable reply"))).toBe(true);
  await expect(a).rejects.toThrow("undecodable reply");
  const b = x.request({ key: "b", body: "2" }, { key: "b" });
  const gone = new Error("connection closed");
  x.close(gone);
  await expect(b).rejects.toBe(gone);
  await expect(x.request({ key: "c", body: "" }, { key: "c" })).rejects.toBe(gone);
  expect(x.closed).toBe(true);
});
