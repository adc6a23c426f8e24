// One connection to the PSU. On this socket the PSU is the Modbus master (spec §1.2): its reads and
// writes are answered from the unit's register store, and the store's write hooks drive the
// start-up of §5.1 (READY on the MAC write, capabilities, the key fetch on the first RUNNING). The
// dispenser pushes its unsolicited report every second and at once on an alarm change (§4); a send
// failure, a broken frame or 60 s without a PDU ends the connection, and the dialer reconnects.
import { transformReadable } from "../../lib/transform.ts";
import { errorMessage } from "../../lib/errors.ts";
import { Exchange } from "../../lib/exchange.ts";
import type { Link } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import type { Adu, AduOrBad } from "./codec.ts";
import type { LocalConnector } from "./register-map.ts";
import { RunningMode } from "./register-map.ts";
import { buildReport, ReportSequencer } from "./report.ts";
import { CONNECTOR_TELEMETRY_REGISTERS, PSU_TELEMETRY_REGISTERS, runningModeName } from "./telemetry.ts";
import type { PsuUnit, UnitConnector } from "./unit.ts";

export interface SessionOptions {
  /** No PDU from the PSU for this long → the connection is given up (spec §5.1: 60 s). */
  silenceTimeoutMs: number;
  /** Unsolicited report period (spec §4: 1 s). */
  reportIntervalMs: number;
  /** How long the start-up key fetch waits per connector (spec §5.1: 10 s). */
  keyFetchTimeoutMs: number;
}

export type SessionEvent =
  /** The PSU wrote its MAC: the link is READY (spec §5.1 step 2). */
  | { kind: "ready" }
  /** A PSU write may have changed what is published. */
  | { kind: "changed" }
  | { kind: "bad"; reason: string; position: number; fatal: boolean };

const REQUESTS = new Set(["readRequest", "writeSingle", "writeMultiple", "invalid", "other", "readResponse", "writeMultipleResponse", "report"]);

export class HuaweiSession {
  readonly events: ReadableStream<SessionEvent>;
  requestsServed = 0;
  reportsSent = 0;
  private readonly exchange: Exchange<Adu, Adu, number>;
  private readonly reports = new ReportSequencer();
  private readonly unhook: (() => void)[] = [];
  private readonly keyWaiters = new Map<LocalConnector, () => void>();
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private silence: ReturnType<typeof setTimeout> | undefined;
  private reporter: ReturnType<typeof setInterval> | undefined;
  private ready = false;
  private becameReady = false;
  private keyFetchStarted = false;
  private closedReason: string | undefined;
  private loggedMode: number | undefined;
  private readonly logged = new Map<string, string>();

  constructor(private readonly link: Link<AduOrBad, Adu>, private readonly unit: PsuUnit, private readonly opts: SessionOptions, private readonly log: Logger) {
    const writer = link.writable.getWriter();
    writer.closed.catch(() => {});
    // Nothing we send waits for an answer (reports are fire-and-forget): the exchange keeps our
    // answers and reports in order, bounded, and fails whatever is queued once the link is gone.
    this.exchange = new Exchange<Adu, Adu, number>({
      send: (adu) => writer.write(adu),
      keyOf: () => undefined,
      maxInFlight: 1,
      maxQueued: 64,
      timeoutMs: opts.silenceTimeoutMs,
    });
    unit.link = "connected";
    unit.reportNow = () => this.sendReport();
    this.hook();
    this.armSilence();
    this.reporter = setInterval(() => this.sendReport(), opts.reportIntervalMs);
    this.events = transformReadable<AduOrBad, SessionEvent>(link.readable, {
      transform: (item, out) => this.onItem(item, out),
      flush: () => this.close("the PSU closed the connection"),
    });
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  get closeReason(): string | undefined {
    return this.closedReason;
  }

  get isReady(): boolean {
    return this.ready;
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (this.silence) clearTimeout(this.silence);
    if (this.reporter) clearInterval(this.reporter);
    for (const t of this.timers) clearTimeout(t);
    for (const off of this.unhook.splice(0)) off();
    for (const wake of this.keyWaiters.values()) wake();
    this.unit.reportNow = () => {};
    this.exchange.close(new Error(`connection closed: ${reason}`));
    this.link.close(reason);
  }

  private async onItem(item: AduOrBad, out: TransformStreamDefaultController<SessionEvent>): Promise<void> {
    if (this.closedReason !== undefined) return;
    if (!item.ok) {
      out.enqueue({ kind: "bad", reason: item.reason, position: item.position, fatal: item.fatal });
      // MBAP has no sync marker: after a broken header nothing on this stream can be trusted.
      if (item.fatal) this.close(`bad frame from the PSU at byte ${item.position}: ${item.reason}`);
      return;
    }
    this.armSilence();
    const { pdu } = item.adu;
    if (!REQUESTS.has(pdu.kind)) {
      // An exception or a report answer from the PSU: nothing was asked, nothing to do.
      this.log.debug("unasked PDU from the PSU ignored", { kind: pdu.kind });
      return;
    }
    const reply = this.unit.store.serve(item.adu);
    this.requestsServed++;
    if (this.becameReady) {
      this.becameReady = false;
      out.enqueue({ kind: "ready" });
    }
    if (pdu.kind === "writeSingle" || pdu.kind === "writeMultiple") out.enqueue({ kind: "changed" });
    if (!reply) return;
    try {
      // Awaited: a PSU that does not read its answers slows down its own requests.
      await this.exchange.request(reply, { key: undefined });
    } catch (err) {
      this.close(`answer could not be sent: ${errorMessage(err)}`);
    }
  }

  private armSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(() => this.close(`no Modbus PDU from the PSU for ${this.opts.silenceTimeoutMs / 1000} s`), this.opts.silenceTimeoutMs);
  }

  private sendReport(): void {
    if (this.closedReason !== undefined) return;
    const withEvent = new Set(this.unit.connectors.filter((c) => c.machine.takeChargingEvent()).map((c) => c.local));
    const adu = this.reports.next(buildReport(this.unit.store, withEvent));
    this.exchange.request(adu, { key: undefined }).then(
      () => this.reportsSent++,
      (err: unknown) => this.close(`unsolicited report could not be sent: ${errorMessage(err)}`),
    );
  }

  private logOnce(what: string, value: string): void {
    if (this.logged.get(what) === value) return;
    this.logged.set(what, value);
    this.log.info(what, { value });
  }

  /** The store's write hooks for the lifetime of this connection. */
  private hook(): void {
    const { store } = this.unit;
    const unit = this.unit;
    this.unhook.push(
      store.onUnitWrite("psuMac", () => {
        if (!this.ready) {
          this.ready = this.becameReady = true;
          unit.link = "ready";
          this.log.info("PSU link READY (PSU MAC written)");
        }
        // Every MAC write re-sends the current GOOSE frames (spec §3.2).
        unit.gooseSender?.resendAll();
      }),
      store.onUnitWrite("runningMode", (mode) => {
        unit.markDirty();
        // The PSU rewrites it every few seconds: logged when it changes, not on every write.
        if (mode !== this.loggedMode) this.log[mode === RunningMode.running ? "info" : "warn"]("PSU running mode", { running_mode: runningModeName(mode) });
        this.loggedMode = mode;
        if (mode === RunningMode.running && !this.keyFetchStarted) {
          this.keyFetchStarted = true;
          void this.keyFetch();
        }
      }),
      store.onUnitWrite("psuSoftwareVersion", (v) => this.logOnce("PSU software version", v)),
      store.onUnitWrite("psuEsn", (v) => this.logOnce("PSU control board ESN", v)),
      store.onConnectorWrite("hmacKey", (_key, c) => {
        const uc = unit.connector(c);
        if (!uc) return;
        // The key itself never leaves the store: not in logs, not in telemetry, not in errors.
        this.log.info("HMAC key received", { connector: uc.cfg.global_connector_number });
        unit.apply(uc, uc.machine.keyWritten());
        this.keyWaiters.get(c)?.();
      }),
      store.onErrorWrite((def, value) => unit.errorWritten(def, value)),
    );
    for (const name of PSU_TELEMETRY_REGISTERS) {
      if (name !== "runningMode") this.unhook.push(store.onUnitWrite(name, () => unit.markDirty()));
    }
    for (const name of CONNECTOR_TELEMETRY_REGISTERS) {
      this.unhook.push(store.onConnectorWrite(name, (_v, c) => {
        const uc = unit.connector(c);
        if (uc) unit.capabilitiesChanged(uc);
      }));
    }
  }

  /**
   * Spec §5.1 step 4: on the first RUNNING, each idle connector fakes a plugged car so the PSU
   * hands out its HMAC key (it does so on working status 1), then unplugs again. With the key,
   * signed stop frames can be sent even for a session that was running before.
   */
  private async keyFetch(): Promise<void> {
    await Promise.all(this.unit.connectors.map((c) => this.fetchKey(c)));
    await this.unit.publish();
  }

  private async fetchKey(c: UnitConnector): Promise<void> {
    if (c.machine.state !== "CarDisconnected" || this.closedReason !== undefined) return;
    const connector = c.cfg.global_connector_number;
    c.keyFetch = true;
    this.unit.apply(c, c.machine.beginKeyFetch());
    const got = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), this.opts.keyFetchTimeoutMs);
      this.timers.push(t);
      this.keyWaiters.set(c.local, () => {
        clearTimeout(t);
        resolve(this.closedReason === undefined);
      });
    });
    this.keyWaiters.delete(c.local);
    // connectionLost() may have ended the fetch already.
    if (!c.keyFetch) return;
    c.keyFetch = false;
    this.unit.apply(c, c.machine.endKeyFetch());
    if (got) this.log.info("start-up key fetch done", { connector });
    else this.log.warn(`no HMAC key within ${this.opts.keyFetchTimeoutMs / 1000} s of the start-up key fetch`, { connector });
  }
}
