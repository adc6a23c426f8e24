// The door's pure parts with an injected clock: refusals logged once per burst, failed logins
// limited per address, reserved identities, and the roster that forgets charge points.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../../lib/log.ts";
import { AUTH_MAX_FAILURES, AUTH_WINDOW_MS, AuthLimiter } from "../../../protocols/ocpp/auth-limit.ts";
import { ocppSectionSchema } from "../../../protocols/ocpp/config.ts";
import { makeDecider, RefusalLog } from "../../../protocols/ocpp/door.ts";
import { IdentityBook, identityProblem, RESERVED_IDENTITIES } from "../../../protocols/ocpp/identity.ts";
import { Roster } from "../../../protocols/ocpp/roster.ts";

const req = (path: string, remoteAddress = "10.0.0.9", headers = new Headers()) => ({ path, query: new URLSearchParams(), headers, remoteAddress, offered: ["ocpp1.6"] });

function capture() {
  const lines: { msg: string; status?: number }[] = [];
  return { lines, log: createLogger({ level: "debug", json: true, write: (l) => void lines.push(JSON.parse(l)) }) };
}

describe("refusals", () => {
  test("1000 new identities refused for capacity within a minute are one log line; a later burst gets its own", () => {
    let now = 1_000_000;
    const cfg = ocppSectionSchema.parse({ max_charge_points: 1 });
    const { lines, log } = capture();
    const refusals = new RefusalLog(log, () => now);
    const decide = makeDecider(cfg, log, new IdentityBook(cfg, { live: new Map([["REAL", {}]]), remembered: new Map() }), { now: () => now, refusals });
    try {
      for (let i = 0; i < 1000; i++) expect(decide(req(`/FAKE${i}`))).toMatchObject({ accept: false, status: 503 });
      expect(decide(req("/CP%201"))).toMatchObject({ accept: false, status: 400 });
      expect(lines.map((l) => l.status)).toEqual([503, 400]);
      now += 61_000;
      expect(decide(req("/LATER"))).toMatchObject({ accept: false, status: 503 });
      expect(lines.map((l) => l.status)).toEqual([503, 400, 503]);
    } finally {
      refusals.dispose();
    }
  });

  test("reserved names are refused before anything else is looked at", () => {
    for (const name of RESERVED_IDENTITIES) expect(identityProblem(name)).toContain("reserved");
    expect(identityProblem("BRIDGE")).toContain("reserved");
    expect(identityProblem("bridge1")).toBeUndefined();
    const cfg = ocppSectionSchema.parse({});
    const decide = makeDecider(cfg, createLogger({ level: "silent", json: false }), new IdentityBook(cfg, { live: new Map(), remembered: new Map() }));
    expect(decide(req("/ocpp/availability"))).toMatchObject({ accept: false, status: 400, reason: expect.stringContaining("reserved") });
  });
});

describe("failed logins per address", () => {
  test("after AUTH_MAX_FAILURES the address waits out the window; other addresses are not affected; a success forgets the count", () => {
    let now = 0;
    const a = new AuthLimiter(() => now);
    for (let i = 0; i < AUTH_MAX_FAILURES - 1; i++) a.failed("1.1.1.1");
    expect(a.retryAfterS("1.1.1.1")).toBe(0);
    a.failed("1.1.1.1");
    expect(a.retryAfterS("1.1.1.1")).toBe(AUTH_WINDOW_MS / 1000);
    expect(a.retryAfterS("2.2.2.2")).toBe(0);
    now += AUTH_WINDOW_MS - 1000;
    expect(a.retryAfterS("1.1.1.1")).toBe(1);
    now += 1000;
    expect(a.retryAfterS("1.1.1.1")).toBe(0);
    a.failed("3.3.3.3");
    a.succeeded("3.3.3.3");
    for (let i = 0; i < AUTH_MAX_FAILURES - 1; i++) a.failed("3.3.3.3");
    expect(a.retryAfterS("3.3.3.3")).toBe(0);
  });

  test("the door answers 429 with Retry-After without checking the password, and logs the burst once", () => {
    let now = 0;
    const cfg = ocppSectionSchema.parse({ chargers: { CP1: { password: "right" } } });
    const { lines, log } = capture();
    const refusals = new RefusalLog(log, () => now);
    const decide = makeDecider(cfg, log, new IdentityBook(cfg, { live: new Map(), remembered: new Map() }), { now: () => now, auth: new AuthLimiter(() => now), refusals });
    const auth = (pw: string) => new Headers({ authorization: "Basic " + btoa(`CP1:${pw}`) });
    for (let i = 0; i < AUTH_MAX_FAILURES; i++) expect(decide(req("/CP1", "9.9.9.9", auth(`g${i}`)))).toMatchObject({ status: 401 });
    for (let i = 0; i < 100; i++) expect(decide(req("/CP1", "9.9.9.9", auth("right")))).toMatchObject({ status: 429, headers: { "Retry-After": "60" } });
    expect(decide(req("/CP1", "8.8.8.8", auth("right")))).toMatchObject({ accept: true });
    expect(lines.map((l) => l.status)).toEqual([401, 429]);
    now += AUTH_WINDOW_MS;
    expect(decide(req("/CP1", "9.9.9.9", auth("right")))).toMatchObject({ accept: true });
    refusals.dispose();
  });
});

describe("the roster", () => {
  const store = () => {
    const known = new Map<string, number>();
    return { known, knownChargePoints: () => known, rememberChargePoint: (id: string, at: number) => void known.set(id, at), forgetChargePoint: (id: string) => void known.delete(id) };
  };

  test("never booted: forgotten when it leaves (unless configured); booted: kept, then forgotten after forget_after_s; live ones are refreshed, never forgotten", () => {
    let now = 0;
    const live = new Map<string, unknown>();
    const s = store();
    const r = new Roster(ocppSectionSchema.parse({ forget_after_s: 100, allowed: ["CONF"] }), s, live, () => now);
    expect(r.left("NOBOOT")).toBe(true);
    expect(r.left("CONF")).toBe(false);
    r.booted("A");
    r.booted("B");
    live.set("B", {});
    now = 10_000;
    expect(r.left("A")).toBe(false);
    expect(s.known.get("A")).toBe(10_000);
    now = 109_999;
    expect(r.sweep()).toEqual([]);
    now = 110_000;
    expect(r.sweep()).toEqual(["A"]);
    expect([...r.remembered.keys()]).toEqual(["B"]);
    // B is live: refreshed once half the time had passed, so a restart after a long run does not forget it.
    expect(s.known.get("B")).toBe(109_999);
  });

  test("forget_after_s = 0 keeps booted charge points for ever", () => {
    let now = 0;
    const s = store();
    const r = new Roster(ocppSectionSchema.parse({ forget_after_s: 0 }), s, new Map(), () => now);
    r.booted("A");
    now = 1e12;
    expect(r.sweep()).toEqual([]);
    expect(s.known.has("A")).toBe(true);
  });
});
