// Pure rules of the EVSEMaster driver: endpoint pinning, the discovery cap, current and start-time
// limits, argument and config validation.

import { describe, expect, test } from "bun:test";
import type { Logger } from "../../../lib/log.ts";
import { evsemasterSchema } from "../../../protocols/evsemaster/config.ts";
import { DiscoveryLimit } from "../../../protocols/evsemaster/discovery.ts";
import { EndpointGuard } from "../../../protocols/evsemaster/endpoint.ts";
import { ampsCap, chargerGuard, startAtMs } from "../../../protocols/evsemaster/limits.ts";
import { chargeStartArgs } from "../../../protocols/evsemaster/messages.ts";

function recorder(): { log: Logger; lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => log };
  return { log, lines };
}

describe("EndpointGuard", () => {
  const charger = { address: "192.168.1.20", port: 7248 };
  const other = { address: "192.168.1.66", port: 7248 };

  test("the address is learnt from a beacon only", () => {
    const g = new EndpointGuard();
    expect(g.admit(charger, false, false).ok).toBe(true);
    expect(g.current).toBeUndefined();
    g.admit(charger, true, false);
    expect(g.text).toBe("192.168.1.20:7248");
  });

  test("pinned: other addresses are dropped and counted, even beacons; a new port from the same address is followed", () => {
    const g = new EndpointGuard();
    g.admit(charger, true, false);
    expect(g.admit(other, true, true).ok).toBe(false);
    expect(g.admit(other, false, true).ok).toBe(false);
    expect(g.dropped).toBe(2);
    expect(g.text).toBe("192.168.1.20:7248");
    expect(g.admit({ address: charger.address, port: 11938 }, false, true).ok).toBe(true);
    expect(g.text).toBe("192.168.1.20:11938");
    expect(g.isPeer(other)).toBe(false);
  });

  test("not pinned: a beacon from another address moves the endpoint, other datagrams do not", () => {
    const g = new EndpointGuard();
    g.admit(charger, true, false);
    expect(g.admit(other, false, false).ok).toBe(true);
    expect(g.text).toBe("192.168.1.20:7248");
    g.admit(other, true, false);
    expect(g.text).toBe("192.168.1.66:7248");
    expect(g.dropped).toBe(0);
  });
});

describe("DiscoveryLimit", () => {
  test("refuses beyond max and warns once per burst of new serials", () => {
    const { log, lines } = recorder();
    const d = new DiscoveryLimit(2, log);
    expect([d.admit("a", 0), d.admit("b", 0)]).toEqual([true, true]);
    for (let i = 0; i < 500; i++) expect(d.admit(`x${i}`, i * 100)).toBe(false);
    expect(d.refused).toBe(500);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    // A minute of quiet ends the burst: the next one is reported again.
    d.admit("late", 500 * 100 + 61_000);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(2);
  });
});

describe("currents and start times", () => {
  test("below 6 A is refused, above the cap lowered with clamped_from, fractions rounded down (the charger's guard)", () => {
    let deviceMax: number | undefined;
    const g = chargerGuard(() => deviceMax, undefined, 0);
    expect(() => g.current(3, "current_limit_a")).toThrow("current_limit_a 3 A is below the minimum 6 A; use enabled:false to stop charging");
    expect(() => g.current(5.9, "max_amps")).toThrow("below the minimum 6 A");
    expect(g.current(6, "x")).toEqual({ amps: 6 });
    expect(g.current(10.7, "x")).toEqual({ amps: 10, clamped_from: 10.7 });
    // The device's maximum, learnt from its beacon after the guard was made, caps what follows.
    deviceMax = 16;
    expect(g.current(40, "x")).toEqual({ amps: 16, clamped_from: 40 });
    expect(chargerGuard(() => 16, 10, 0).current(40, "x")).toEqual({ amps: 10, clamped_from: 40 });
  });

  test("a device that cannot take 6 A is refused instead of being sent 6 A", () => {
    expect(() => ampsCap(5, undefined)).toThrow("the charger reports at most 5 A, below the 6 A minimum");
    expect(ampsCap(0, undefined)).toBe(32);
    expect(ampsCap(16, 10)).toBe(10);
    expect(ampsCap(undefined, undefined)).toBe(32);
  });

  test("start_at: up to 5 min in the past is now, older refused, more than 24 h ahead refused", () => {
    const now = Date.parse("2026-01-15T12:00:00Z");
    expect(startAtMs(undefined, now)).toBe(now);
    expect(startAtMs("2026-01-15T11:58:00Z", now)).toBe(now - 120_000);
    expect(() => startAtMs("2026-01-15T11:50:00Z", now)).toThrow("more than 5 minutes in the past");
    expect(() => startAtMs("2026-01-16T13:00:00Z", now)).toThrow("too far ahead");
  });

  test("max_energy_kwh must be at least 0.01 (0 on the wire means no limit)", () => {
    expect(chargeStartArgs.safeParse({ max_energy_kwh: 0.001 }).success).toBe(false);
    expect(chargeStartArgs.safeParse({ max_energy_kwh: 0.01 }).success).toBe(true);
  });
});

describe("config", () => {
  test("max_discovered defaults to 32", () => {
    expect(evsemasterSchema.parse({}).max_discovered).toBe(32);
  });

  test("a serial listed twice (any case) is an error at that entry", () => {
    const r = evsemasterSchema.safeParse({ charger: [{ serial: "88000000000000AB" }, { serial: "7700000000000001" }, { serial: "88000000000000ab" }] });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toHaveLength(1);
    expect(r.error!.issues[0]).toMatchObject({ path: ["charger", 2, "serial"], message: "duplicate charger serial 88000000000000ab" });
  });
});
