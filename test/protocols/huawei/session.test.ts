// The dispenser's session on a real loopback socket, the PSU side read raw: report cadence, the
// extra report on an alarm change, the one-shot charging event, and what ends a connection.
import { afterEach, describe, expect, test } from "bun:test";
import { framed, type Link } from "../../../lib/link.ts";
import { silentLogger } from "../../../lib/log.ts";
import { dialTcp, listenTcp, type Listener } from "../../../lib/tcp.ts";
import { type Adu, dispenserCodec, encodeAdu, psuCodec } from "../../../protocols/huawei/codec.ts";
import { unitSchema } from "../../../protocols/huawei/config.ts";
import { HuaweiSession, type SessionEvent } from "../../../protocols/huawei/session.ts";
import { PsuUnit } from "../../../protocols/huawei/unit.ts";
import type { UnsolicitedReport } from "../../../protocols/huawei/unsolicited.ts";
import { until } from "../../support/until.ts";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Received {
  at: number;
  report: UnsolicitedReport;
}

async function pair(reportIntervalMs: number, silenceTimeoutMs = 30_000) {
  let psuLink: Link | undefined;
  const server: Listener = await listenTcp({ host: "127.0.0.1", port: 0 }, (l) => (psuLink = l));
  closers.push(() => server.close());
  const link = await dialTcp({ host: "127.0.0.1", port: server.port });
  await until(() => psuLink !== undefined, "accepted");
  const psuSide = psuLink ?? link;
  const unit = new PsuUnit(unitSchema.parse({ name: "s", host: "127.0.0.1", connectors: [{ global_connector_number: 4, max_export_current_a: 50, max_export_power_w: 20000 }] }), silentLogger);
  closers.push(() => unit.dispose());
  const session = new HuaweiSession(framed(link, dispenserCodec), unit, { silenceTimeoutMs, reportIntervalMs, keyFetchTimeoutMs: 1000 }, silentLogger);
  closers.push(() => session.close("test over"));
  const events: SessionEvent[] = [];
  const piped = session.events.pipeTo(new WritableStream({ write: (e) => void events.push(e) })).catch(() => {});
  const reports: Received[] = [];
  const others: Adu[] = [];
  const reader = psuSide.readable.pipeThrough(new TransformStream(psuCodec.decoder())).getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done || !value) return;
      if (value.ok && value.adu.pdu.kind === "report") reports.push({ at: Date.now(), report: value.adu.pdu.report });
      else if (value.ok) others.push(value.adu);
    }
  })();
  const writer = psuSide.writable.getWriter();
  return {
    unit,
    session,
    psuLink: psuSide,
    events,
    piped,
    reports,
    others,
    send: (a: Adu) => writer.write(encodeAdu(a)),
    raw: (b: Uint8Array) => writer.write(b),
    started: Date.now(),
  };
}

const segment = (r: UnsolicitedReport, address: number) => r.devices[0]?.segments.find((s) => s.address === address)?.values;

describe("unsolicited reports (spec §4)", () => {
  test("the first about one interval after connecting, then one per interval", async () => {
    const p = await pair(150);
    await until(() => p.reports.length >= 4, "four reports");
    const first = p.reports[0]?.at ?? 0;
    expect(first - p.started).toBeGreaterThanOrEqual(100);
    const gaps = p.reports.slice(1, 4).map((r, i) => r.at - (p.reports[i]?.at ?? 0)).sort((a, b) => a - b);
    // The median of three intervals: a timer late under load does not decide it.
    expect(gaps[1] ?? 0).toBeGreaterThan(100);
    expect(gaps[1] ?? 0).toBeLessThan(400);
    // Transaction ids of our reports count up from 0 (spec §1.2).
    expect(p.session.reportsSent).toBeGreaterThanOrEqual(4);
  });

  test("an alarm change goes out at once, not at the next tick", async () => {
    const p = await pair(60_000);
    p.unit.setAlarm("water", true);
    await until(() => p.reports.length === 1, "an extra report", 1000);
    expect(segment(p.reports[0]?.report ?? { reportingType: 0, devices: [] }, 0x3001)).toEqual(Uint16Array.of(0, 1, 0, 0));
    const [c] = p.unit.connectors;
    if (!c) throw new Error("no connector");
    p.unit.setContactorFault(c, true);
    await until(() => p.reports.length === 2, "another extra report", 1000);
    expect(segment(p.reports[1]?.report ?? { reportingType: 0, devices: [] }, 0x3105)).toEqual(Uint16Array.of(1));
    // Setting an alarm that is already set changes nothing and sends nothing.
    expect(p.unit.setAlarm("water", true)).toBe(false);
    p.unit.reportNow();
    await until(() => p.reports.length === 3, "the sentinel report");
    expect(p.reports.length).toBe(3);
  });

  test("a state change puts the charging event 0x117E into the next report once", async () => {
    const p = await pair(100);
    const [c] = p.unit.connectors;
    if (!c) throw new Error("no connector");
    p.unit.apply(c, c.machine.carPlugged());
    await until(() => p.reports.length >= 3, "three reports");
    const withEvent = p.reports.filter((r) => segment(r.report, 0x117e) !== undefined);
    expect(withEvent.length).toBe(1);
    expect(segment(withEvent[0]?.report ?? { reportingType: 0, devices: [] }, 0x110b)).toEqual(Uint16Array.of(1));
  });
});

describe("what ends a connection", () => {
  test("a broken MBAP header: one bad event, then the link is closed", async () => {
    const p = await pair(60_000);
    await p.raw(Uint8Array.of(0, 1, 0, 9, 0, 6, 0xff, 3, 0, 0, 0, 1));
    await p.piped;
    expect(p.events).toEqual([{ kind: "bad", reason: "bad MBAP header: protocol id 9, expected 0", position: 0, fatal: true }]);
    expect(p.session.closeReason).toBe("bad frame from the PSU at byte 0: bad MBAP header: protocol id 9, expected 0");
  });

  test("silence: no PDU for the timeout closes it; a PDU in time keeps it open", async () => {
    const p = await pair(60_000, 300);
    await p.send({ transactionId: 1, unitId: 0xff, pdu: { kind: "readRequest", address: 0x1015, count: 1 } });
    await until(() => p.others.length === 1, "the answer");
    expect(p.session.isClosed).toBe(false);
    await p.piped;
    expect(p.session.closeReason).toBe("no Modbus PDU from the PSU for 0.3 s");
  });

  test("a failing send of a report ends the connection", async () => {
    const p = await pair(50);
    // The PSU resets the connection: the next report cannot be written.
    p.psuLink.close("PSU reset");
    await p.piped;
    expect(p.session.isClosed).toBe(true);
    expect(p.session.closeReason).toMatch(/PSU closed the connection|could not be sent/);
  });

  test("the PSU's write of its MAC gives exactly one ready event, then changed events per write", async () => {
    const p = await pair(60_000);
    const mac = { transactionId: 2, unitId: 0xff, pdu: { kind: "writeMultiple", address: 0x2111, values: Uint16Array.of(0xc262, 0xf976, 0x507c) } } as const;
    await p.send(mac);
    await p.send({ ...mac, transactionId: 3 });
    await until(() => p.others.length === 2, "both answers");
    expect(p.events.map((e) => e.kind)).toEqual(["ready", "changed", "changed"]);
    expect(p.unit.link).toBe("ready");
    expect(encodeAdu(p.others[0] ?? mac)).toEqual(encodeAdu({ transactionId: 2, unitId: 0xff, pdu: { kind: "writeMultipleResponse", address: 0x2111, count: 3 } }));
  });
});
