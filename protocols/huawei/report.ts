// Building the unsolicited report of spec §4 from the register store.
import type { Adu } from "./codec.ts";
import { CONNECTOR_OFFSET, CONNECTOR_REGISTERS, UNIT_REGISTERS, type LocalConnector } from "./register-map.ts";
import type { RegisterStore } from "./registers.ts";
import { wordCount } from "./words.ts";
import { type UnsolicitedReport } from "./unsolicited.ts";

export interface Range {
  address: number;
  count: number;
}

/** The dispenser sends its reports as unit 0 (spec §1.2). */
export const REPORT_UNIT_ID = 0x00;

const range = (address: number, type: Parameters<typeof wordCount>[0]): Range => ({ address, count: wordCount(type) });

/**
 * Register ranges a report carries, in the library's order, before merging: time sync, the four
 * dispenser alarms, then per connector working status, connection status, contactor, lock,
 * [charging event], contactor fault, reverse cable.
 */
export function reportLayout(connectors: readonly LocalConnector[], withChargingEvent: ReadonlySet<LocalConnector>): Range[] {
  const u = UNIT_REGISTERS;
  const out: Range[] = [range(u.timeSync.address, u.timeSync.type)];
  for (const a of [u.doorAlarm, u.waterAlarm, u.epoAlarm, u.tiltAlarm]) out.push(range(a.address, a.type));
  const r = CONNECTOR_REGISTERS;
  for (const c of connectors) {
    const o = CONNECTOR_OFFSET[c];
    const regs = [r.workingStatus, r.connectionStatus, r.contactorStatus, r.lockStatus];
    if (withChargingEvent.has(c)) regs.push(r.chargingEvent);
    regs.push(r.contactorFault, r.reverseCable);
    for (const reg of regs) out.push(range(reg.address + o, reg.type));
  }
  return out;
}

/** Addresses whose segment must stay exactly `address, count 1`: the mock only finds the working status that way. */
export function isolatedAddresses(connectors: readonly LocalConnector[]): Set<number> {
  return new Set(connectors.map((c) => CONNECTOR_REGISTERS.workingStatus.address + CONNECTOR_OFFSET[c]));
}

/** Joins neighbours in the given order whose addresses touch, never into or out of an isolated range. */
export function mergeRanges(list: readonly Range[], isolated: ReadonlySet<number> = new Set()): Range[] {
  const out: Range[] = [];
  for (const r of list) {
    const last = out.at(-1);
    if (last && last.address + last.count === r.address && !isolated.has(last.address) && !isolated.has(r.address)) {
      last.count += r.count;
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

/** One report with the store's values as a read would return them now. */
export function buildReport(store: RegisterStore, withChargingEvent: ReadonlySet<LocalConnector> = new Set()): UnsolicitedReport {
  const ranges = mergeRanges(reportLayout(store.connectors, withChargingEvent), isolatedAddresses(store.connectors));
  return {
    reportingType: 0x00,
    devices: [{ location: 0x0000, segments: ranges.map((r) => ({ address: r.address, values: store.readWords(r.address, r.count) })) }],
  };
}

/** Wraps reports in ADUs with the dispenser's own transaction counter, starting at 0. */
export class ReportSequencer {
  private tid = 0;

  next(report: UnsolicitedReport): Adu {
    const adu: Adu = { transactionId: this.tid, unitId: REPORT_UNIT_ID, pdu: { kind: "report", report } };
    this.tid = (this.tid + 1) & 0xffff;
    return adu;
  }
}
