import { expect, test } from "bun:test";
import { encodeAdu } from "../../../protocols/huawei/codec.ts";
import { encodePdu } from "../../../protocols/huawei/pdu.ts";
import { RegisterStore } from "../../../protocols/huawei/registers.ts";
import { buildReport, isolatedAddresses, mergeRanges, reportLayout, ReportSequencer } from "../../../protocols/huawei/report.ts";
import { ConnectorMachine } from "../../../protocols/huawei/connector.ts";
import { hex, toHex, U } from "./vectors.ts";

function dispenserAt(seconds: number): RegisterStore {
  const s = new RegisterStore({ connectors: 1, clock: () => seconds * 1000 + 250 });
  s.setConnector(1, "contactorStatus", 1);
  return s;
}

test("U1: idle report, one connector, merged alarm segment", () => {
  const s = dispenserAt(0x6b01837d);
  const adu = new ReportSequencer().next(buildReport(s));
  expect(toHex(encodeAdu(adu))).toBe(toHex(hex(U.U1)));
});

test("U2: car plugged in, with the one-shot charging event segment, third report of the connection", () => {
  const s = dispenserAt(0x6b01837f);
  const seq = new ReportSequencer();
  seq.next(buildReport(s));
  seq.next(buildReport(s));
  s.setConnector(1, "workingStatus", 1);
  s.setConnector(1, "connectionStatus", 2);
  s.setConnector(1, "chargingEvent", 0);
  const adu = seq.next(buildReport(s, new Set([1])));
  expect(toHex(encodeAdu(adu))).toBe(toHex(hex(U.U2)));
  // The next report without the event is the U1 shape again.
  const after = buildReport(s).devices[0]?.segments.map((x) => x.address);
  expect(after).not.toContain(0x117e);
});

test("U3: charging with door alarm and contactor fault", () => {
  const s = dispenserAt(0x6b01838e);
  s.setUnit("doorAlarm", 1);
  s.setConnector(1, "workingStatus", 3);
  s.setConnector(1, "connectionStatus", 2);
  s.setConnector(1, "contactorFault", 1);
  const seq = new ReportSequencer();
  for (let i = 0; i < 0x11; i++) seq.next(buildReport(s));
  expect(toHex(encodeAdu(seq.next(buildReport(s))))).toBe(toHex(hex(U.U3)));
});

test("touching ranges merge in the given order; isolated ranges never merge", () => {
  expect(mergeRanges([{ address: 0x10, count: 1 }, { address: 0x11, count: 2 }, { address: 0x13, count: 1 }])).toEqual([{ address: 0x10, count: 4 }]);
  expect(mergeRanges([{ address: 5, count: 1 }, { address: 3, count: 2 }])).toEqual([{ address: 5, count: 1 }, { address: 3, count: 2 }]);
  expect(mergeRanges([{ address: 1, count: 1 }, { address: 3, count: 1 }])).toHaveLength(2);
  const around = [{ address: 0x110a, count: 1 }, { address: 0x110b, count: 1 }, { address: 0x110c, count: 1 }, { address: 0x110d, count: 1 }];
  expect(mergeRanges(around, new Set([0x110b]))).toEqual([{ address: 0x110a, count: 1 }, { address: 0x110b, count: 1 }, { address: 0x110c, count: 2 }]);
  expect(mergeRanges(around)).toEqual([{ address: 0x110a, count: 4 }]);
});

test("four connectors: library order, one exact working-status segment each, events only where asked", () => {
  const s = new RegisterStore({ connectors: 4, clock: () => 0 });
  const r = buildReport(s, new Set([2, 4]));
  const segs = r.devices[0]?.segments ?? [];
  const layout = segs.map((x) => `${x.address.toString(16)}/${x.values.length}`);
  const block = (o: number, event: boolean) =>
    [0x110b, 0x110d, 0x1154, 0x1156, ...(event ? [0x117e] : []), 0x3105, 0x3115].map((a) => `${(a + o).toString(16)}/1`);
  expect(layout).toEqual(["1024/2", "3001/4", ...block(0, false), ...block(0xc00, true), ...block(0xd00, false), ...block(0xe00, true)]);
  for (const ws of isolatedAddresses(s.connectors)) expect(segs.filter((x) => x.address === ws && x.values.length === 1)).toHaveLength(1);
  // The largest report (4 connectors, every event) still fits one Modbus PDU.
  expect(encodePdu({ kind: "report", report: buildReport(s, new Set([1, 2, 3, 4])) }).length).toBeLessThanOrEqual(253);
  expect(reportLayout([1], new Set())).toHaveLength(11);
});

test("the report sequencer counts from 0 and wraps at 16 bits", () => {
  const seq = new ReportSequencer();
  const empty = { reportingType: 0, devices: [] };
  const ids: number[] = [];
  for (let i = 0; i < 0x10002; i++) ids.push(seq.next(empty).transactionId);
  expect(ids.slice(0, 3)).toEqual([0, 1, 2]);
  expect(ids.slice(-3)).toEqual([0xffff, 0, 1]);
  expect(seq.next(empty).unitId).toBe(0);
});

test("U2 from the state machine: plugging the car gives working status 1, connection 2 and one event segment", () => {
  const s = dispenserAt(0x6b01837f);
  const m = new ConnectorMachine({ globalConnector: 1, signing: true, now: () => 0 });
  const seq = new ReportSequencer();
  const report = () => {
    m.writeTo(s, 1);
    return seq.next(buildReport(s, m.takeChargingEvent() ? new Set([1]) : new Set()));
  };
  report();
  report();
  m.carPlugged();
  expect(toHex(encodeAdu(report()))).toBe(toHex(hex(U.U2)));
  const next = report();
  expect(next.pdu.kind === "report" && next.pdu.report.devices[0]?.segments.some((x) => x.address === 0x117e)).toBe(false);
});
