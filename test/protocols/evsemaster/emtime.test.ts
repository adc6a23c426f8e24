import { describe, expect, test } from "bun:test";
import { evsemasterSchema } from "../../../protocols/evsemaster/config.ts";
import { dateToEm, emToDate, systemTimeZone, validateTimeZone, zoneOffsetS } from "../../../protocols/evsemaster/emtime.ts";
import { prng } from "../../support/prng.ts";

describe("EM time zones", () => {
  test("UTC and Etc/UTC, answered without Intl, agree with Intl's Etc/GMT at random instants", () => {
    const rand = prng(14);
    for (let i = 0; i < 200; i++) {
      const ms = Math.floor(rand() * 4e12);
      const viaIntl = zoneOffsetS("Etc/GMT", ms);
      expect(viaIntl).toBe(0);
      expect(zoneOffsetS("UTC", ms)).toBe(viaIntl);
      expect(zoneOffsetS("Etc/UTC", ms)).toBe(viaIntl);
      const d = new Date(Math.floor(ms / 1000) * 1000);
      expect(dateToEm(d, "UTC")).toBe(dateToEm(d, "Etc/GMT"));
      expect(emToDate(dateToEm(d, "UTC"), "UTC")?.getTime()).toBe(d.getTime());
    }
  });

  test("unknown zones are still refused; UTC is accepted", () => {
    expect(() => validateTimeZone("Nowhere/Atlantis")).toThrow(RangeError);
    expect(() => validateTimeZone("UTC")).not.toThrow();
    expect(() => validateTimeZone("Europe/Amsterdam")).not.toThrow();
  });

  test("the system zone is the default only when time_zone is absent", () => {
    expect(evsemasterSchema.parse({}).time_zone).toBe(systemTimeZone());
    expect(evsemasterSchema.parse({ time_zone: "Etc/UTC" }).time_zone).toBe("Etc/UTC");
    const bad = evsemasterSchema.safeParse({ time_zone: "Nowhere/Atlantis" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe("expected an IANA time zone such as Europe/Amsterdam");
  });
});
