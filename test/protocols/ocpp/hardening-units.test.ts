// Pure parts of the review fixes: identities, persisted state, meter units, profile limits, filters, inbound back-pressure.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChargeGuard } from "../../../lib/guard.ts";
import { silentLogger } from "../../../lib/log.ts";
import { makeAnswers } from "../../../protocols/ocpp/answers.ts";
import { type Decoded, decodeFrame, encodeFrame } from "../../../protocols/ocpp/codec.ts";
import { NotConnectedError } from "../../../protocols/ocpp/errors.ts";
import { filterCovers, withoutCovered } from "../../../protocols/ocpp/compat-filters.ts";
import { ocppSectionSchema } from "../../../protocols/ocpp/config.ts";
import { makeDecider } from "../../../protocols/ocpp/door.ts";
import { IdentityBook, identityProblem } from "../../../protocols/ocpp/identity.ts";
import { compatPairs, normalizedFrom, samplesOf } from "../../../protocols/ocpp/meter.ts";
import { OcppStateStore } from "../../../protocols/ocpp/persist.ts";
import { makePolicy } from "../../../protocols/ocpp/policy.ts";
import { guardProfiles } from "../../../protocols/ocpp/profile-guard.ts";
import { type Answers, MAX_INBOUND_IN_PROGRESS, OcppSession } from "../../../protocols/ocpp/session.ts";
import { until } from "../../support/until.ts";
import { drain, type MemoryLink, memoryLink } from "./memory-link.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "ocpp-hard-"));

describe("identities at the door (H2, M2)", () => {
  test("only OCPP 2.0.1 identifierString characters, at most 48", () => {
    for (const ok of ["CP1", "a-b_c", "x*y=z:1+2|3@4.5", "A".repeat(48)]) expect(identityProblem(ok)).toBeUndefined();
    for (const bad of ["CP 1", "CP/1", "CP#1", "CP%2F1", "", "A".repeat(49), "Ünïcode", "a\u0000b", "a\nb"]) expect(identityProblem(bad)).toBeDefined();
  });

  test("400 for bad characters, 409 for an alias of a configured or live identity, 503 beyond max_charge_points", () => {
    const cfg = ocppSectionSchema.parse({ chargers: { CP_1: { password: "secret" } }, max_charge_points: 2 });
    const live = new Map<string, unknown>();
    const remembered = new Map<string, unknown>();
    const decide = makeDecider(cfg, silentLogger, new IdentityBook(cfg, { live, remembered }));
    const req = (path: string) => ({ path, query: new URLSearchParams(), headers: new Headers(), remoteAddress: "10.0.0.9", offered: ["ocpp1.6"] });
    expect(decide(req("/CP%201"))).toMatchObject({ accept: false, status: 400 });
    expect(decide(req("/CP%2F1"))).toMatchObject({ accept: false, status: 400 });
    expect(decide(req("/CP+1"))).toMatchObject({ accept: false, status: 409 });
    live.set("A+1", {});
    expect(decide(req("/A_1"))).toMatchObject({ accept: false, status: 409 });
    // The identity itself is no conflict: a reconnect replaces its old session.
    expect(decide(req("/A+1"))).toMatchObject({ accept: true });
    remembered.set("B", {});
    expect(decide(req("/C"))).toMatchObject({ accept: false, status: 503 });
    // Known and configured identities still get in when full.
    expect(decide(req("/B"))).toMatchObject({ accept: true });
    expect(decide(req("/CP_1"))).toMatchObject({ accept: false, status: 401 });
  });

  test("the cap applies only while allowed is empty", () => {
    const cfg = ocppSectionSchema.parse({ allowed: ["X", "Y"], max_charge_points: 1 });
    const book = new IdentityBook(cfg, { live: new Map([["X", {}]]), remembered: new Map([["X", {}]]) });
    expect(book.full("Y")).toBe(false);
  });
});

describe("persisted state (M1, L2)", () => {
  test("charging_enabled: inherited names read nothing, only booleans come back, __proto__ survives a restart", () => {
    const dir = tmp();
    const a = new OcppStateStore(dir, silentLogger);
    for (const id of ["constructor", "toString", "__proto__", "hasOwnProperty"]) expect(a.chargingEnabled(id)).toBeUndefined();
    a.setChargingEnabled("__proto__", false);
    a.setChargingEnabled("constructor", true);
    const b = new OcppStateStore(dir, silentLogger);
    expect(b.chargingEnabled("__proto__")).toBe(false);
    expect(b.chargingEnabled("constructor")).toBe(true);
    expect(b.chargingEnabled("toString")).toBeUndefined();
  });

  test("a file with junk entries keeps the booleans only", () => {
    const dir = tmp();
    writeFileSync(join(dir, "ocpp-state.json"), JSON.stringify({ last_transaction_id: 5, charging_enabled: { A: true, B: "yes", C: 1 } }));
    const s = new OcppStateStore(dir, silentLogger, () => 0);
    expect([s.chargingEnabled("A"), s.chargingEnabled("B"), s.chargingEnabled("C")]).toEqual([true, undefined, undefined]);
    expect(s.nextTransactionId()).toBe(6);
  });

  test("transaction ids never fall below the Unix time, so a lost file does not restart them at 1", () => {
    let now = 1_800_000_000_000;
    const first = new OcppStateStore(tmp(), silentLogger, () => now);
    expect(first.nextTransactionId()).toBe(1_800_000_000);
    expect(first.nextTransactionId()).toBe(1_800_000_001);
    now += 10_000;
    // The state file is gone: a fresh store still hands out ids above every earlier one.
    const fresh = new OcppStateStore(tmp(), silentLogger, () => now);
    expect(fresh.nextTransactionId()).toBe(1_800_000_010);
    const dir = tmp();
    writeFileSync(join(dir, "ocpp-state.json"), JSON.stringify({ last_transaction_id: 2 ** 31 - 1, charging_enabled: {} }));
    expect(new OcppStateStore(dir, silentLogger, () => 0).nextTransactionId()).toBe(1);
  });
});

describe("meter units and blanks (L3)", () => {
  test("units in any case; blank values are skipped, not read as 0", () => {
    const entry = {
      timestamp: "2026-01-27T10:05:00Z",
      sampledValue: [
        { value: "1.5", measurand: "Energy.Active.Import.Register" as const, unit: "kwh" as "kWh" },
        { value: "7.2", measurand: "Power.Active.Import" as const, unit: "KW" as "kW" },
        { value: " ", measurand: "Current.Import" as const, unit: "A" as const },
        { value: "", measurand: "Voltage" as const, unit: "V" as const },
      ],
    };
    expect(normalizedFrom(samplesOf(entry))).toEqual({ energy_total_wh: 1500, power_w: 7200 });
    expect(compatPairs(samplesOf(entry)).map(([k]) => k)).toEqual(["energy_active_import_register", "power_active_import"]);
  });
});

describe("raw charging profiles (M5)", () => {
  const guard = new ChargeGuard({ minA: 6, maxA: 32, switchIntervalMs: 0, allowZero: true, stepA: 0.1 });
  const limits = { guard, maxPowerW: 0 };
  const profile = (unit: "A" | "W", ...values: number[]) => ({
    chargingProfileId: 1,
    stackLevel: 0,
    chargingProfilePurpose: "TxDefaultProfile",
    chargingProfileKind: "Relative",
    chargingSchedule: { chargingRateUnit: unit, chargingSchedulePeriod: values.map((limit, i) => ({ startPeriod: i * 60, limit })) },
  });

  test("A: above max lowered and reported, inside passes untouched, below min refused", () => {
    const input = { connectorId: 1, csChargingProfiles: profile("A", 10, 80) };
    const r = guardProfiles("SetChargingProfile", input, limits);
    expect(r.clamped).toEqual([{ at: "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit", from: 80, to: 32, unit: "A" }]);
    expect((r.payload.csChargingProfiles as ReturnType<typeof profile>).chargingSchedule.chargingSchedulePeriod.map((p) => p.limit)).toEqual([10, 32]);
    expect(input.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1]!.limit).toBe(80);
    const inside = { connectorId: 1, csChargingProfiles: profile("A", 16) };
    expect(guardProfiles("SetChargingProfile", inside, limits)).toEqual({ payload: inside, clamped: [] });
    expect(() => guardProfiles("SetChargingProfile", { connectorId: 1, csChargingProfiles: profile("A", 16, 3) }, limits)).toThrow(/below the minimum 6 A/);
    // 0 A pauses: the safe direction, let through unchanged.
    expect(guardProfiles("RemoteStartTransaction", { idTag: "t", chargingProfile: profile("A", 0) }, limits).clamped).toEqual([]);
    const rs = guardProfiles("RemoteStartTransaction", { idTag: "t", chargingProfile: profile("A", 40) }, limits);
    expect(rs.clamped[0]).toMatchObject({ from: 40, to: 32 });
  });

  test("W: refused unless max_power_w allows it, then clamped to it", () => {
    expect(() => guardProfiles("SetChargingProfile", { connectorId: 0, csChargingProfiles: profile("W", 1000) }, limits)).toThrow(/max_power_w/);
    const r = guardProfiles("SetChargingProfile", { connectorId: 0, csChargingProfiles: profile("W", 1000, 20_000) }, { ...limits, maxPowerW: 11_000 });
    expect(r.clamped).toEqual([{ at: "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit", from: 20_000, to: 11_000, unit: "W" }]);
  });

  test("other actions and unrecognised shapes are left alone (validation reports them)", () => {
    const p = { type: "Hard" };
    expect(guardProfiles("Reset", p, limits).payload).toBe(p);
    const odd = { connectorId: 1, csChargingProfiles: { chargingSchedule: { chargingRateUnit: "X", chargingSchedulePeriod: [{ limit: 99 }] } } };
    expect(guardProfiles("SetChargingProfile", odd, limits).payload).toBe(odd);
  });
});

describe("compat subscriptions (M4)", () => {
  test("a filter covered by another one is not subscribed again", () => {
    expect(filterCovers("ocpp/+/cmd/#", "ocpp/garage/cmd/#")).toBe(true);
    expect(filterCovers("ocpp/garage/cmd/#", "ocpp/+/cmd/#")).toBe(false);
    expect(filterCovers("ocpp/+/cmd/#", "home/garage/cmd/#")).toBe(false);
    expect(filterCovers("ocpp/+/cmd/#", "ocpp/a/b/cmd/#")).toBe(false);
    expect(withoutCovered(["ocpp/+/cmd/#", "ocpp/garage/cmd/#", "home/garage/cmd/#", "home/garage/cmd/#"])).toEqual(["ocpp/+/cmd/#", "home/garage/cmd/#"]);
  });
});

describe("session (L1, M3)", () => {
  const cfg = ocppSectionSchema.parse({});
  const answers = () => makeAnswers({ cfg, policy: makePolicy(cfg), store: new OcppStateStore(tmp(), silentLogger), chargingEnabled: () => true, onRefusedConnector: () => {} });
  const session = (link: MemoryLink, a: Answers) => new OcppSession(link.link, a, { identity: "T", lenient: false, callTimeoutMs: 1000, maxBadMessages: 100, log: silentLogger });

  test("a CALL with an id over 36 characters gets CALLERROR FormationViolation with that id", async () => {
    const id = "x".repeat(37);
    const d = decodeFrame(`[2,"${id}","Heartbeat",{}]`);
    expect(d).toMatchObject({ ok: false, bad: { id, messageType: 2 } });
    const m = memoryLink((i) => (i === 0 ? d : undefined));
    await drain(session(m, answers()).events);
    expect(JSON.parse(encodeFrame(m.sent[0] ?? { type: 3, id: "none", payload: {} }))).toEqual([4, id, "FormationViolation", "unique id longer than 36 characters", {}]);
  });

  test("at most MAX_INBOUND_IN_PROGRESS charger CALLs are handled at once; the reader waits for a free slot", async () => {
    let running = 0;
    let started = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const blocking: Answers = {
      ...answers(),
      Heartbeat: async (request) => {
        started++;
        most = Math.max(most, ++running);
        await new Promise<void>((r) => release.push(r));
        running--;
        return { action: "Heartbeat", request, response: { currentTime: "2026-01-01T00:00:00Z" } };
      },
    };
    const total = 2 * MAX_INBOUND_IN_PROGRESS;
    const m = memoryLink((i) => (i < total ? decodeFrame(`[2,"h${i}","Heartbeat",{}]`) : undefined));
    const done = drain(session(m, blocking).events);
    await until(() => started === MAX_INBOUND_IN_PROGRESS, "the slots filled");
    const pullsWhenFull = m.pulls;
    // One frame may wait in the stream's buffer; the next ones stay unread.
    expect(pullsWhenFull).toBeLessThanOrEqual(MAX_INBOUND_IN_PROGRESS + 1);
    expect(m.sent.length).toBe(0);
    release.shift()?.();
    await until(() => started === MAX_INBOUND_IN_PROGRESS + 1, "a CALL started once a slot was free");
    expect(m.sent.length).toBe(1);
    expect(m.pulls - pullsWhenFull).toBeLessThanOrEqual(1);
    expect(most).toBe(MAX_INBOUND_IN_PROGRESS);
    await until(() => {
      for (const r of release.splice(0)) r();
      return m.sent.length === total;
    }, "every CALL answered");
    await done;
    expect(most).toBe(MAX_INBOUND_IN_PROGRESS);
    expect(m.sent.map((f) => f.type)).toEqual(Array.from({ length: total }, () => 3));
  });

  test("a CALLRESULT goes out once its event is handled, or before a CALL of ours, whichever is first", async () => {
    let hangUp: () => void = () => {};
    const hungUp = new Promise<undefined>((r) => (hangUp = () => r(undefined)));
    let beatNow: () => void = () => {};
    const beatSent = new Promise<Decoded>((r) => (beatNow = () => r(decodeFrame(`[2,"h1","Heartbeat",{}]`))));
    const start = decodeFrame(`[2,"s1","StartTransaction",{"connectorId":1,"idTag":"T1","meterStart":5,"timestamp":"2026-01-01T00:00:00Z"}]`);
    const m = memoryLink((i) => (i === 0 ? start : i === 1 ? beatSent : hungUp));
    const s = session(m, answers());
    const reader = s.events.getReader();
    const started = (await reader.read()).value;
    if (started?.kind !== "call") throw new Error(`expected the StartTransaction event, got ${started?.kind}`);
    expect(started.event.action).toBe("StartTransaction");
    // Answered (the event carries it), not sent: nothing has handled the event yet.
    expect(m.sent).toEqual([]);
    // Handling that calls the charger: the StartTransaction.conf (with the transaction id) goes first.
    const triggered = s.call("TriggerMessage", { requestedMessage: "MeterValues", connectorId: 1 }).catch((err: unknown) => err);
    await until(() => m.sent.length === 2, "the held answer and our CALL written");
    const shown = () => m.sent.map((f) => [f.type, f.type === 2 ? f.action : f.id]);
    expect(shown()).toEqual([
      [3, "s1"],
      [2, "TriggerMessage"],
    ]);
    started.handled();
    beatNow();
    const beat = (await reader.read()).value;
    if (beat?.kind !== "call") throw new Error(`expected the Heartbeat event, got ${beat?.kind}`);
    expect(m.sent.length).toBe(2);
    beat.handled();
    started.handled();
    await until(() => m.sent.length >= 3, "the Heartbeat answered once handled");
    // Each answer once: handled() after a CALL released it, or twice, sends nothing more.
    expect(shown()).toEqual([
      [3, "s1"],
      [2, "TriggerMessage"],
      [3, "h1"],
    ]);
    hangUp();
    expect((await reader.read()).value).toEqual({ kind: "closed", reason: "connection_closed_1000" });
    expect(await triggered).toBeInstanceOf(NotConnectedError);
  });
});
