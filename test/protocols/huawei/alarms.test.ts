import { expect, test } from "bun:test";
import { AlarmBoard, BSP_ERROR, psuError, PsuErrorTracker } from "../../../protocols/huawei/alarms.ts";
import { decodeAdus } from "../../../protocols/huawei/codec.ts";
import { ERROR_REGISTERS, type ErrorRegisterDef } from "../../../protocols/huawei/register-map.ts";
import { RegisterStore } from "../../../protocols/huawei/registers.ts";
import { hex, M } from "./vectors.ts";

function def(address: number): ErrorRegisterDef {
  const d = ERROR_REGISTERS.find((x) => x.address === address);
  if (!d) throw new Error(`no error register at 0x${address.toString(16)}`);
  return d;
}

test("§8.1: dispenser alarms are set while any BSP has the error and cleared when none has", () => {
  const board = new AlarmBoard([1, 2]);
  const store = new RegisterStore({ connectors: 2 });
  expect(board.set(1, BSP_ERROR.enclosureOpen, true)).toBe(true);
  expect(board.set(2, BSP_ERROR.enclosureOpen, true)).toBe(false); // already set by connector 1
  expect(board.set(1, BSP_ERROR.enclosureOpen, false)).toBe(false); // connector 2 still has it
  expect(board.dispenserAlarms()).toEqual({ door_status_alarm: true, water_alarm: false, epo_alarm: false, tilt_alarm: false });
  expect(board.set(2, BSP_ERROR.enclosureOpen, false)).toBe(true);
  for (const [error, field] of [
    [BSP_ERROR.waterIngress, "water_alarm"],
    [BSP_ERROR.emergencyStop, "epo_alarm"],
    [BSP_ERROR.tilt, "tilt_alarm"],
  ] as const) {
    board.set(2, error, true);
    expect(board.dispenserAlarms()[field]).toBe(true);
  }
  board.apply(store);
  expect([store.unit("doorAlarm"), store.unit("waterAlarm"), store.unit("epoAlarm"), store.unit("tiltAlarm")]).toEqual([0, 1, 1, 1]);
});

test("§8.1: the contactor fault goes 1:1 to its connector's 0x3105+o", () => {
  const board = new AlarmBoard([1, 2]);
  const store = new RegisterStore({ connectors: 2 });
  expect(board.set(2, BSP_ERROR.contactorFault, true)).toBe(true);
  board.apply(store);
  expect([store.connector(1, "contactorFault"), store.connector(2, "contactorFault")]).toEqual([0, 1]);
  expect(store.readWords(0x3d05, 1)[0]).toBe(1);
  expect(board.dispenserAlarms().door_status_alarm).toBe(false);
  // Errors the module does not map change nothing.
  expect(board.set(1, "evse_board_support/VendorError", true)).toBe(false);
  expect(() => board.set(3, BSP_ERROR.tilt, true)).toThrow("connector 3 is not configured");
});

test("§8.2: the error register table covers 0x4000–0x40E8 with the module's names", () => {
  expect(ERROR_REGISTERS).toHaveLength(5 + 13 + 1 + 2 + 6 + 12 + 1 + 5);
  expect(def(0x4000)).toMatchObject({ category: "PowerUnit", item: "HighVoltageDoorStatusSensor" });
  expect(def(0x4004)).toMatchObject({ category: "PowerUnit", item: "Epo" });
  expect(def(0x4011)).toMatchObject({ category: "ChargingPowerUnit", item: "FaultOfInsulationResistanceToGround" });
  expect(def(0x4012)).toMatchObject({ category: "ChargingPowerUnit", item: "ModbusTcpCertificate", show: "flags" });
  expect(def(0x4022)).toMatchObject({ category: "AcBranch", item: "AcBranch2" });
  expect(def(0x404a)).toMatchObject({ category: "AcDcRectifier", item: "rectifier_6" });
  expect(def(0x4086)).toMatchObject({ category: "DcDcChargingModule", item: "DcDcModule12" });
  expect(def(0x40d0)).toMatchObject({ category: "CoolingSection", item: "CoolingUnit1" });
  expect(def(0x40e8)).toMatchObject({ category: "PowerDistributionModule", item: "PowerDistributionModule5" });
});

test("§8.2 / M20, M21: PSU register writes become VendorWarnings with the module's sub-types and messages", () => {
  const store = new RegisterStore({ connectors: 1 });
  const tracker = new PsuErrorTracker();
  const raised: string[] = [];
  store.onErrorWrite((d, v) => {
    const c = tracker.update(d, v);
    if (c.raised) raised.push(`${c.raised.type} ${c.raised.subType} | ${c.raised.message}`);
  });
  for (const v of [M.M20, M.M21]) {
    const [item] = decodeAdus(hex(v.request), "psu");
    if (item?.ok) store.serve(item.adu);
  }
  expect(raised).toEqual([
    "power_supply_DC/VendorWarning PowerUnit/HighVoltageDoorStatusSensor | Category: PowerUnit; Subcategory: HighVoltageDoorStatusSensor; AlarmState: ALARM",
    "power_supply_DC/VendorWarning AcDcRectifier/rectifier_1 | Category: AcDcRectifier; Subcategory: rectifier_1; Flags: 0x00010002",
  ]);
  expect(tracker.list().map((e) => e.severity)).toEqual(["Medium", "Medium"]);
  expect(psuError(def(0x4012), 0x0a)?.message).toBe("Category: ChargingPowerUnit; Subcategory: ModbusTcpCertificate; Flags: 0x000a");
  expect(psuError(def(0x4001), 2)?.message).toContain("AlarmState: UNKNOWN");
  expect(psuError(def(0x4001), 0)).toBeUndefined();
});

test("§8.2: raised on non-zero, cleared on 0, re-raised when the flags change, quiet on repeats", () => {
  const t = new PsuErrorTracker();
  const d = def(0x4070);
  const sub = (c: ReturnType<PsuErrorTracker["update"]>) => [c.cleared?.message ?? null, c.raised?.message ?? null];
  expect(sub(t.update(d, 0))).toEqual([null, null]);
  expect(sub(t.update(d, 0x10))).toEqual([null, "Category: DcDcChargingModule; Subcategory: DcDcModule1; Flags: 0x00000010"]);
  expect(sub(t.update(d, 0x10))).toEqual([null, null]);
  expect(sub(t.update(d, 0x30))).toEqual([
    "Category: DcDcChargingModule; Subcategory: DcDcModule1; Flags: 0x00000010",
    "Category: DcDcChargingModule; Subcategory: DcDcModule1; Flags: 0x00000030",
  ]);
  expect(t.list()).toHaveLength(1);
  expect(sub(t.update(d, 0))).toEqual(["Category: DcDcChargingModule; Subcategory: DcDcModule1; Flags: 0x00000030", null]);
  expect(t.list()).toEqual([]);
});
