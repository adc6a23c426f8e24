// §7: states, flags, and the mappings a bridge shows (normalized status, IEC letter, LCD colour).

import { expect, test } from "bun:test";
import type { ChargerStatus } from "../../../lib/normalized.ts";
import { flagNames, iecLetter, isErrorState, lcdColour, normalizedStatus, settingNames, stateText, VFLAG } from "../../../protocols/openevse/states.ts";

test("state names, including the seed's incomplete list (§13 item 5)", () => {
  expect([0, 1, 2, 3, 4, 254, 255].map(stateText)).toEqual(["starting", "not connected", "EV connected", "charging", "vent required", "sleeping", "disabled"]);
  expect(stateText(596)).toBe("sleeping");
  expect(stateText(99)).toBe("unknown state 99");
  // Errors are 4–17, not just "4-Error", and not only the gateway's 4–11.
  expect([3, 4, 11, 14, 17, 18, 254].map(isErrorState)).toEqual([false, true, true, true, true, false, false]);
});

test("normalized status", () => {
  const ev = VFLAG.evConnected;
  const cases: [number | null, number | null, boolean, ChargerStatus][] = [
    [3, 0x0140, false, "offline"],
    [null, null, true, "unknown"],
    [0, 0x0200, true, "unknown"],
    [1, 0x0200, true, "available"],
    [2, ev, true, "connected"],
    [3, ev | VFLAG.relayClosed, true, "charging"],
    [6, ev, true, "error"],
    [17, 0, true, "error"],
    [254, ev, true, "suspended"],
    [254, 0, true, "disabled"],
    [596, ev, true, "suspended"],
    [255, 0, true, "disabled"],
    [100, 0, true, "unknown"],
  ];
  for (const [state, flags, up, status] of cases) expect(normalizedStatus(state, flags, up)).toBe(status);
});

test("IEC 61851 letters only where the data says so", () => {
  expect(iecLetter(1)).toBe("A");
  expect(iecLetter(2)).toBe("B");
  expect(iecLetter(3, 3)).toBe("C");
  expect(iecLetter(4)).toBe("D");
  expect(iecLetter(255, 1)).toBe("F");
  // Asleep: the pilot reading tells whether a car is there.
  expect(iecLetter(254, 2)).toBe("B");
  expect(iecLetter(254, 1)).toBe("A");
  expect(iecLetter(254)).toBeNull();
  // Faults and start-up: the pilot is undocumented (§14 item 4), so no guess.
  expect(iecLetter(6, 2)).toBeNull();
  expect(iecLetter(0, 1)).toBeNull();
  expect(iecLetter(null)).toBeNull();
  expect(iecLetter(2, 9)).toBeNull();
});

test("gateway LCD colour (§10.2)", () => {
  expect([0, 1, 2, 3, 4, 11, 14].map((s) => lcdColour(s, false))).toEqual([0, 2, 3, 6, 1, 1, 1]);
  expect([lcdColour(254, true), lcdColour(254, false), lcdColour(255, true), lcdColour(255, false)]).toEqual([6, 5, 6, 5]);
});

test("flag names, with D9's redefined settings bits", () => {
  expect(flagNames(0x0140, VFLAG)).toEqual(["relayClosed", "evConnected"]);
  expect(flagNames(0x0001, { a: 0x0002 })).toEqual(["0x0001"]);
  expect(settingNames(0x0241, false)).toEqual(["serviceLevel2", "autoStartDisabled", "gfiSelfTestDisabled"]);
  expect(settingNames(0x0241, true)).toEqual(["serviceLevel2", "gfiSelfTestDisabled", "ppAutoAmpacity"]);
  expect(settingNames(0x2800, false)).toEqual(["0x0800", "0x2000"]);
  expect(settingNames(0x2800, true)).toEqual(["zeroCrossDisabled", "bootLockDisabled"]);
});
