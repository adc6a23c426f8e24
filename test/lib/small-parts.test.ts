import { describe, expect, test } from "bun:test";
import { OfflineQueue } from "../../lib/offline-queue.ts";
import { SwitchLimiter } from "../../lib/rate-limit.ts";
import { parseHostPort } from "../../lib/link.ts";
import { sanitizeSegment, topicMatches } from "../../lib/topics.ts";
import { ampsToPwm, pwmToAmps } from "../../protocols/dehne/normalize.ts";

describe("offline queue", () => {
  test("retained topics keep only the newest value, events keep order, oldest dropped past the bound", () => {
    const drops: string[] = [];
    const q = new OfflineQueue(3, (g) => drops.push(g.topic));
    q.push({ topic: "state", payload: "1", qos: 1, retain: true });
    q.push({ topic: "ev", payload: "a", qos: 1, retain: false });
    q.push({ topic: "state", payload: "2", qos: 1, retain: true });
    q.push({ topic: "ev", payload: "b", qos: 1, retain: false });
    expect(q.size).toBe(3);
    q.push({ topic: "ev", payload: "c", qos: 1, retain: false });
    expect(q.dropped).toBe(1);
    expect(drops).toEqual(["ev"]);
    expect(q.drain().map((x) => `${x.topic}=${x.payload}`)).toEqual(["state=2", "ev=b", "ev=c"]);
    expect(q.size).toBe(0);
  });
});

describe("switch limiter", () => {
  test("refuses within the interval and says how long to wait", () => {
    let now = 1000;
    const l = new SwitchLimiter(30_000, () => now);
    expect(l.refusal("x")).toBeUndefined();
    l.record();
    now += 5000;
    expect(l.refusal("enabling")).toMatch(/5 s ago; next allowed in 25 s/);
    now += 25_000;
    expect(l.refusal("x")).toBeUndefined();
  });
});

describe("topics and addresses", () => {
  test("sanitize and match", () => {
    expect(sanitizeSegment("a/b #c+d e")).toBe("a_b__c_d_e");
    expect(topicMatches("a/+/set", "a/x/set")).toBe(true);
    expect(topicMatches("a/+/set", "a/x/y/set")).toBe(false);
    expect(topicMatches("a/#", "a/x/y")).toBe(true);
    expect(topicMatches("a/b", "a/b/c")).toBe(false);
  });
  test("host:port parsing", () => {
    expect(parseHostPort("[::]:9091")).toEqual({ host: "::", port: 9091 });
    expect(parseHostPort("0.0.0.0:80")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(parseHostPort("localhost", 9091)).toEqual({ host: "localhost", port: 9091 });
    expect(() => parseHostPort("x:99999")).toThrow();
  });
});

describe("dehne amps ⇄ duty cycle (spec §4.4, G9)", () => {
  test("rounded up for amps→%, down for %→amps", () => {
    expect([6, 10, 16, 32].map(ampsToPwm)).toEqual([10, 17, 27, 54]);
    expect(pwmToAmps(54)).toBe(32);
    expect(pwmToAmps(100)).toBe(0);
    for (let a = 6; a <= 51; a++) expect(pwmToAmps(ampsToPwm(a))).toBeGreaterThanOrEqual(a);
  });
});
