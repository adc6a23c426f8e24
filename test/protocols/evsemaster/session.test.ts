// The session's timers driven by an injected clock: what it sends when, with no real waiting.

import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { silentLogger } from "../../../lib/log.ts";
import type { AppDatagram, AppMessage, EvseMessage } from "../../../protocols/evsemaster/codec.ts";
import { EndpointGuard } from "../../../protocols/evsemaster/endpoint.ts";
import { PinBook } from "../../../protocols/evsemaster/pins.ts";
import { passwordStore } from "../../../protocols/evsemaster/serial-store.ts";
import { EvseSession } from "../../../protocols/evsemaster/session.ts";
import type { SessionEvent } from "../../../protocols/evsemaster/session-types.ts";
import { idleStatus, INFO } from "./fake.ts";

const S = "8800000000000001";
const CHARGER = { address: "192.168.1.20", port: 7248 };
const TIMING = {
  offlineAfterMs: 11_000,
  sessionTimeoutMs: 15_000,
  loginTimeoutMs: 5_000,
  // Real timers: requests nobody answers here fail at once instead of outliving the test.
  replyTimeoutMs: 1,
  configRefreshMs: 120_000,
  reloginMinMs: 10_000,
  reloginMaxMs: 300_000,
};

function harness(pin: { configured?: string; fallback?: string }) {
  let t = 1_000_000;
  const sent: { at: number; password: string; message: AppMessage }[] = [];
  const pins = new PinBook(S, pin.configured, pin.fallback, passwordStore(mkdtempSync(`${tmpdir()}/em-session-`), silentLogger));
  const send = (_to: unknown, d: AppDatagram) => {
    sent.push({ at: t, password: new TextDecoder().decode(d.password), message: d.message });
    return Promise.resolve();
  };
  const session = new EvseSession({ serial: S, disabled: false, discoverLogin: false, timing: TIMING }, new EndpointGuard({ changeAfterMs: 86_400_000 }, t), pins, send, silentLogger, () => t);
  /** Config GETs answered so far: the harness plays the charger's side of a config fetch. */
  let answered = 0;
  const answer = () => {
    for (const s of sent.slice(answered)) {
      const m = s.message;
      if (m.type === "setting") void session.receive({ type: "setting", setting: m.setting, action: m.action, value: 1 }, CHARGER);
      if (m.type === "name") void session.receive({ type: "name", action: m.action, name: "x" }, CHARGER);
      if (m.type === "getVersion") void session.receive({ type: "version", version: { hardwareVersion: "h", softwareVersion: "s", feature: 0, supportNew: null } }, CHARGER);
    }
    answered = sent.length;
  };
  return {
    session,
    sent,
    /** Ends the session and gives every event it emitted, in order. */
    async finish(): Promise<SessionEvent[]> {
      session.close("test over");
      const events: SessionEvent[] = [];
      for await (const e of session.events) events.push(e);
      return events;
    },
    count: (type: AppMessage["type"], since = 0) => sent.filter((s) => s.at >= since && s.message.type === type).length,
    from: (m: EvseMessage) => void session.receive(m, CHARGER),
    /** Moves the clock in `stepMs` steps up to `ms` later, ticking after each (as the listener's timer does). */
    advance: (ms: number, stepMs: number, each?: (t: number) => void) => {
      for (const end = t + ms; t < end; ) {
        t = Math.min(end, t + stepMs);
        each?.(t);
        session.tick();
        answer();
      }
    },
    get now() {
      return t;
    },
  };
}

test("config is fetched at login and every config_refresh_s; a session without Headings for session_timeout_s logs in again", async () => {
  const h = harness({ configured: "123456" });
  h.from({ type: "beacon", info: INFO });
  expect(h.count("requestLogin")).toBe(1);
  expect(h.sent[0]?.password).toBe("123456");
  h.from({ type: "loginResponse", info: INFO });
  expect(h.count("loginConfirm")).toBe(1);
  const loggedIn = h.now;
  // Headings every 10 s keep the session; 10 minutes pass.
  h.advance(600_000, 1000, (t) => {
    if ((t - loggedIn) % 10_000 === 0) h.from({ type: "heading" });
  });
  const rounds = h.sent.filter((s) => s.message.type === "getVersion").map((s) => s.at - loggedIn);
  expect(rounds).toEqual([1000, 121_000, 241_000, 361_000, 481_000]);
  // Each round asks for every setting and the version.
  expect(h.count("setting")).toBe(4 * rounds.length);
  expect(h.count("name")).toBe(rounds.length);
  expect(h.count("headingResponse")).toBe(60);
  expect(h.count("requestLogin")).toBe(1);
  // The Headings stop (status still flows): 15 s later the session counts as lost, and a new login goes out.
  const quiet = h.now;
  h.advance(20_000, 1000, () => h.from({ type: "status", polled: false, status: idleStatus() }));
  const relogins = h.sent.filter((s) => s.at > quiet && s.message.type === "requestLogin");
  expect(relogins.map((s) => s.at - quiet)).toEqual([16_000]);
  await h.finish();
});

test("a refused PIN is not retried by itself: a minute of beacons and ticks sends nothing", async () => {
  const h = harness({ configured: "654321" });
  h.from({ type: "beacon", info: INFO });
  h.from({ type: "passwordError" });
  const refusedAt = h.now;
  h.advance(60_000, 500, (t) => {
    if (t % 5000 === 0) h.from({ type: "beacon", info: INFO });
  });
  expect(h.sent.map((s) => s.message.type)).toEqual(["requestLogin"]);
  expect(h.now - refusedAt).toBe(60_000);
  const last = (await h.finish()).filter((e) => e.kind === "state").at(-1);
  expect(last?.kind === "state" && last.state).toMatchObject({ online: true, loggedIn: false, loginError: "wrong password" });
});

test("an unanswered login is retried once at once, then after relogin_min_s, doubling", async () => {
  const h = harness({ configured: "123456" });
  const start = h.now;
  h.advance(80_000, 500, (t) => {
    if (t % 5000 === 0) h.from({ type: "beacon", info: INFO });
  });
  const at = h.sent.filter((s) => s.message.type === "requestLogin").map((s) => s.at - start);
  // Login at 5 s (first beacon); no answer within 5 s → again at once; no answer → 10 s back-off,
  // then again at once, then 20 s.
  expect(at).toEqual([5000, 10_500, 26_000, 31_500, 57_000, 62_500]);
  await h.finish();
});
