// One dispenser connection as the simulated PSU serves it (spec §11): Modbus master on the socket
// the dispenser opened, one request at a time matched by transaction id; reads the connector count,
// then every cycle writes running mode and MAC, from the third cycle the capabilities, reads the
// working status, writes energy and AC values; hands out the HMAC key when a report shows status 1.
import { errorMessage } from "../../../lib/errors.ts";
import { Exchange } from "../../../lib/exchange.ts";
import type { Link } from "../../../lib/link.ts";
import type { Logger } from "../../../lib/log.ts";
import type { Adu, AduOrBad } from "../codec.ts";
import type { Pdu } from "../pdu.ts";
import { CONNECTOR_OFFSET, CONNECTOR_REGISTERS, LOCAL_CONNECTORS, PortAvailability, RunningMode, UNIT_REGISTERS, WorkingStatus, type LocalConnector } from "../register-map.ts";
import type { UnsolicitedReport } from "../unsolicited.ts";
import { encodeValue, F32, F64, raw } from "../words.ts";

export interface PsuBehaviour {
  cycleMs: number;
  firstReadMs: number;
  replyTimeoutMs: number;
  mac: Uint8Array;
  key: Uint8Array;
  capabilities: { maxVoltage: number; minVoltage: number; maxCurrent: number; minCurrent: number; ratedPowerKw: number };
  /** Charging power (W) the PSU delivers on a global connector now (from GOOSE power requests). */
  powerOn(global: number): number;
}

export interface SeenAlarms {
  door: boolean;
  water: boolean;
  epo: boolean;
  tilt: boolean;
}

const reg = (local: LocalConnector, name: keyof typeof CONNECTOR_REGISTERS) => CONNECTOR_REGISTERS[name].address + CONNECTOR_OFFSET[local];

export class PsuConnection {
  connectorCount = 0;
  cycles = 0;
  reports = 0;
  keysSent = 0;
  /** What the last report said, as the PSU understood it. */
  alarms: SeenAlarms = { door: false, water: false, epo: false, tilt: false };
  readonly workingStatus = new Map<LocalConnector, number>();
  /** Working status per connector as reports showed it, repeats left out. */
  readonly statusHistory = new Map<LocalConnector, number[]>();
  readonly contactorFault = new Map<LocalConnector, boolean>();
  readonly globalNumber = new Map<LocalConnector, number>();
  /** Exceptions the dispenser answered with, e.g. `83 03`. */
  readonly exceptions: { functionCode: number; code: number }[] = [];
  energyKwh = 0;
  /** Arrival times (ms, performance clock) of the latest reports, for cadence checks. */
  readonly reportTimes: number[] = [];
  private readonly exchange: Exchange<Adu, Adu, number>;
  private readonly armed = new Map<LocalConnector, boolean>();
  private tid = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly link: Link<AduOrBad, Adu>,
    private readonly b: PsuBehaviour,
    private readonly log: Logger,
    /** Bytes straight onto the socket, for tests of garbage on the wire. */
    readonly sendRaw: (bytes: Uint8Array) => Promise<void> = () => Promise.resolve(),
  ) {
    const writer = link.writable.getWriter();
    writer.closed.catch(() => {});
    this.exchange = new Exchange<Adu, Adu, number>({
      send: (adu) => writer.write(adu),
      keyOf: (adu) => (adu.pdu.kind === "report" ? undefined : adu.transactionId),
      maxInFlight: 1,
      maxQueued: 256,
      timeoutMs: b.replyTimeoutMs,
    });
    this.timer = setTimeout(() => void this.start(), b.firstReadMs);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Reads until the dispenser goes away; reports are taken in, answers go to the exchange. */
  async serve(): Promise<void> {
    const reader = this.link.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!value.ok) {
          this.log.warn("simulated PSU: bad frame from the dispenser", { reason: value.reason });
          if (value.fatal) break;
          continue;
        }
        if (value.adu.pdu.kind === "report") this.onReport(value.adu.pdu.report);
        else if (!this.exchange.receive(value.adu)) this.log.debug("simulated PSU: unmatched answer", { tid: value.adu.transactionId });
      }
    } catch {
      // connection reset
    }
    this.close("dispenser went away");
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.exchange.close(new Error(reason));
    this.link.close(reason);
  }

  async request(pdu: Pdu): Promise<Pdu> {
    const transactionId = this.tid;
    this.tid = (this.tid + 1) & 0xffff;
    const reply = await this.exchange.request({ transactionId, unitId: 0xff, pdu }, { key: transactionId, what: `answer to ${pdu.kind}` });
    if (!reply) throw new Error("no answer");
    if (reply.pdu.kind === "exception") this.exceptions.push({ functionCode: reply.pdu.functionCode, code: reply.pdu.code });
    return reply.pdu;
  }

  write(address: number, values: Uint16Array): Promise<Pdu> {
    return this.request(values.length === 1 ? { kind: "writeSingle", address, value: values[0] ?? 0 } : { kind: "writeMultiple", address, values });
  }

  async read(address: number, count: number): Promise<Uint16Array> {
    const r = await this.request({ kind: "readRequest", address, count });
    if (r.kind !== "readResponse") throw new Error(`read of 0x${address.toString(16)} answered with ${r.kind}`);
    return r.values;
  }

  private async start(): Promise<void> {
    try {
      const [count] = await this.read(UNIT_REGISTERS.connectorCount.address, 1);
      this.connectorCount = Math.min(4, Math.max(0, count ?? 0));
      for (const c of LOCAL_CONNECTORS.slice(0, this.connectorCount)) this.armed.set(c, true);
      this.log.info("simulated PSU: dispenser connected", { connectors: this.connectorCount });
    } catch (err) {
      return this.close(`connector count not readable: ${errorMessage(err)}`);
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.cycle().then(
        () => this.schedule(this.b.cycleMs),
        (err: unknown) => {
          this.log.warn("simulated PSU: cycle failed", { error: errorMessage(err) });
          this.schedule(this.b.cycleMs);
        },
      );
    }, ms);
  }

  private connectors(): LocalConnector[] {
    return LOCAL_CONNECTORS.slice(0, this.connectorCount);
  }

  /** The mock's EPO reaction: a dispenser emergency stop makes the PSU report FAULTY. */
  runningMode(): number {
    return this.alarms.epo ? RunningMode.faulty : RunningMode.running;
  }

  portAvailability(c: LocalConnector): number {
    return this.alarms.epo || this.contactorFault.get(c) ? PortAvailability.notAvailable : PortAvailability.available;
  }

  private async cycle(): Promise<void> {
    this.cycles++;
    const u = UNIT_REGISTERS;
    await this.write(u.runningMode.address, Uint16Array.of(this.runningMode()));
    await this.write(u.psuMac.address, encodeValue(raw(6), this.b.mac));
    const cap = this.b.capabilities;
    let chargingW = 0;
    for (const c of this.connectors()) {
      if (this.cycles >= 3) {
        await this.write(reg(c, "maxCurrent"), encodeValue(F32, cap.maxCurrent));
        await this.write(reg(c, "minCurrent"), encodeValue(F32, cap.minCurrent));
        await this.write(reg(c, "maxVoltage"), encodeValue(F32, cap.maxVoltage));
        await this.write(reg(c, "minVoltage"), encodeValue(F32, cap.minVoltage));
        await this.write(reg(c, "psuRatedPowerKw"), encodeValue(F32, cap.ratedPowerKw));
        await this.write(reg(c, "portAvailability"), Uint16Array.of(this.portAvailability(c)));
      }
      const [status] = await this.read(reg(c, "workingStatus"), 1);
      if (status === WorkingStatus.charging) {
        const [global] = await this.read(reg(c, "globalConnector"), 1);
        if (global !== undefined) {
          this.globalNumber.set(c, global);
          chargingW += this.b.powerOn(global);
        }
      }
    }
    this.energyKwh += 0.00001 + (chargingW / 1000) * (this.b.cycleMs / 3_600_000);
    await this.write(u.totalInputEnergyKwh.address, encodeValue(F64, this.energyKwh));
    const volts = [0, 1, 2].map(() => 230 + (Math.random() * 2 - 1) * 12.8);
    for (const [i, a] of [u.acVoltageA, u.acVoltageB, u.acVoltageC].entries()) await this.write(a.address, encodeValue(F32, volts[i] ?? 230));
    for (const [i, a] of [u.acCurrentA, u.acCurrentB, u.acCurrentC].entries()) await this.write(a.address, encodeValue(F32, chargingW / (volts[i] ?? 230) / 3));
  }

  private onReport(report: UnsolicitedReport): void {
    this.reports++;
    this.reportTimes.push(performance.now());
    if (this.reportTimes.length > 256) this.reportTimes.splice(0, 128);
    const epoBefore = this.alarms.epo;
    const faultsBefore = JSON.stringify([...this.contactorFault]);
    for (const seg of report.devices[0]?.segments ?? []) {
      if (seg.address === UNIT_REGISTERS.doorAlarm.address && seg.values.length >= 4) {
        const [door, water, epo, tilt] = seg.values;
        this.alarms = { door: door === 1, water: water === 1, epo: epo === 1, tilt: tilt === 1 };
      }
      for (const c of this.connectors()) {
        // The mock finds the working status only in a segment of exactly this address and count 1.
        if (seg.address === reg(c, "workingStatus") && seg.values.length === 1) this.statusSeen(c, seg.values[0] ?? 0);
        if (seg.address === reg(c, "contactorFault") && seg.values.length >= 1) this.contactorFault.set(c, seg.values[0] === 1);
      }
    }
    // The PSU reacts to alarms at once: EPO → FAULTY and ports unavailable, a contactor fault → that port unavailable.
    if (this.alarms.epo !== epoBefore || JSON.stringify([...this.contactorFault]) !== faultsBefore) void this.alarmReaction();
  }

  private async alarmReaction(): Promise<void> {
    try {
      await this.write(UNIT_REGISTERS.runningMode.address, Uint16Array.of(this.runningMode()));
      for (const c of this.connectors()) await this.write(reg(c, "portAvailability"), Uint16Array.of(this.portAvailability(c)));
    } catch (err) {
      this.log.debug("simulated PSU: alarm reaction not written", { error: errorMessage(err) });
    }
  }

  private statusSeen(c: LocalConnector, status: number): void {
    this.workingStatus.set(c, status);
    const h = this.statusHistory.get(c) ?? [];
    if (h.at(-1) !== status) h.push(status);
    this.statusHistory.set(c, h.slice(-100));
    if (status === WorkingStatus.standby) this.armed.set(c, true);
    if (status !== WorkingStatus.standbyWithConnectorInserted || !this.armed.get(c)) return;
    this.armed.set(c, false);
    this.write(reg(c, "hmacKey"), encodeValue(raw(48), this.b.key)).then(
      () => this.keysSent++,
      (err: unknown) => this.log.warn("simulated PSU: key not written", { error: errorMessage(err) }),
    );
  }
}
