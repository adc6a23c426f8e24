// A fake Dehne-EVSE written from the spec: handshake, answers in order, 10 s watchdog, notify on
// pilot changes, a car that follows the PWM offer, and the log buffer the firmware keeps.
import { type Dialer, keepDialing } from "../../../lib/dialer.ts";
import type { HostPort, Link } from "../../../lib/link.ts";
import { type Logger, silentLogger } from "../../../lib/log.ts";
import { dialTcp } from "../../../lib/tcp.ts";
import { encodeHandshake, serverStreamDecoder } from "../framing.ts";
import { PWM_OFF, pwmToAmps } from "../normalize.ts";
import { decodeServerFrame, encodeChargerMessage, firmwareCrcMatches, type ChargerMessage, type PilotVoltage, type ServerRequest } from "../wire.ts";

export interface SimOptions {
  target: HostPort;
  serial: string;
  firmware: number;
  /** The firmware's watchdog: no request for this long → reconnect (spec §7). */
  watchdogMs?: number;
  /** Longest wait between reconnect attempts (they start at 50 ms and double). */
  reconnectMs?: number;
  log?: Logger;
}

export function simSerial(i: number): string {
  return ("DE5E0000" + i.toString(16).padStart(24, "0")).toUpperCase();
}

export class SimulatedDehne {
  pwm = PWM_OFF;
  contactor = false;
  carPlugged = false;
  firmware: number;
  /** Requests seen, in order, for tests. */
  readonly received: ServerRequest[] = [];
  connections = 0;
  private pilot: PilotVoltage = "volt_12";
  private logBuf = "";
  private started = Date.now();
  private conn: Link | undefined;
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private dialer: Dialer | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** When set, requests are read but never answered (a hung charger). */
  mute = false;
  /** When set, a plugged-in car keeps asking for charge whatever the PWM offer (a car that does not pause). */
  carIgnoresPwm = false;

  constructor(private opts: SimOptions) {
    this.firmware = opts.firmware;
  }

  get serial(): string {
    return this.opts.serial;
  }

  get connected(): boolean {
    return this.conn !== undefined;
  }

  /** Resolves once the first connection attempt has been made (connected or not). */
  async start(): Promise<void> {
    let first: () => void = () => {};
    const attempted = new Promise<void>((r) => (first = r));
    this.dialer = keepDialing(
      () => dialTcp(this.opts.target),
      (link) => this.session(link, first),
      {
        backoff: { minMs: 50, maxMs: this.opts.reconnectMs ?? 5000, stableMs: 0 },
        log: this.opts.log ?? silentLogger,
        what: `simulated charger ${this.serial}`,
        onState: (s) => s.state === "waiting" && first(),
      },
    );
    await attempted;
  }

  /** One connection: handshake, then answer requests until the link ends. */
  private async session(conn: Link, connected: () => void): Promise<void> {
    this.conn = conn;
    this.connections++;
    this.writer = conn.writable.getWriter();
    this.writer.closed.catch(() => {});
    await this.writer.write(encodeHandshake({ serial: this.opts.serial, firmware: this.firmware })).catch(() => {});
    this.armWatchdog();
    connected();
    await this.readLoop(conn);
  }

  private async readLoop(conn: Link): Promise<void> {
    const reader = conn.readable.pipeThrough(serverStreamDecoder()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value instanceof Error) {
          this.addLog(`Unknown request: ${value.message}`);
          break;
        }
        this.armWatchdog();
        let req: ServerRequest;
        try {
          req = decodeServerFrame(value);
        } catch (err) {
          this.addLog(`Unknown request type ${value.type}`);
          continue;
        }
        this.received.push(req);
        if (!this.mute) await this.handle(req);
      }
    } catch {
      // connection reset
    }
    this.dropLink();
  }

  private async handle(req: ServerRequest): Promise<void> {
    switch (req.type) {
      case "ping":
        return this.send({ type: "pong" });
      case "collect": {
        const msg: ChargerMessage = { type: "data", data: this.snapshot() };
        this.logBuf = "";
        return this.send(msg);
      }
      case "set_pwm":
        this.pwm = req.percent;
        this.addLog(`PWM percent updated to ${req.percent}`);
        await this.send({ type: "pwm_ack" });
        return this.carFollows();
      case "set_contactor":
        this.contactor = req.on;
        this.addLog(`Switched contactor ${req.on ? "on" : "off"}`);
        return this.send({ type: "contactor_ack" });
      case "firmware":
        if (!firmwareCrcMatches(req.image, req.crc32)) {
          this.addLog("Firmware CRC mismatch, not applied");
          return;
        }
        this.addLog("Firmware OK, rebooting");
        // The real charger reboots about a second later and comes back with the new image.
        setTimeout(() => {
          this.firmware++;
          this.dropLink();
        }, 200);
    }
  }

  private snapshot() {
    const charging = this.contactor && (this.pilot === "volt_6" || this.pilot === "volt_3");
    const amps = charging ? pwmToAmps(this.pwm) : 0;
    const jitter = () => Math.floor(Math.random() * 7) - 3;
    const v = this.contactor ? 2800 : 0;
    const i = charging ? Math.round(amps * 95) : 0;
    return {
      contactor_state: this.contactor,
      pwm_percent: this.pwm,
      measurements: {
        pilot_voltage: this.pilot,
        proximity_pilot_amps: this.carPlugged ? ("amp_32" as const) : ("no_cable" as const),
        phase1_millivolts: v && v + jitter(),
        phase2_millivolts: v && v + jitter(),
        phase3_millivolts: v && v + jitter(),
        phase1_milliamps: i && i + jitter(),
        phase2_milliamps: i && i + jitter(),
        phase3_milliamps: i && i + jitter(),
        wifi_rssi: -60 + jitter(),
        uptime_milliseconds: (Date.now() - this.started) | 0,
        current_control_pilot_adc: this.pilot === "volt_12" ? 3900 : this.pilot === "volt_9" ? 2900 : 1900,
        current_proximity_pilot_adc: this.carPlugged ? 990 : 4095,
        logging_buffer: this.logBuf,
      },
    };
  }

  private addLog(text: string): void {
    const entry = `${(Date.now() - this.started) | 0}: ${text}\u0000`;
    // The firmware clears the buffer rather than overflow it (spec §4.3).
    if (new TextEncoder().encode(this.logBuf + entry).length > 1023) this.logBuf = "";
    this.logBuf += entry;
  }

  /** A car asks for charge only while the EVSE offers current. */
  private async carFollows(): Promise<void> {
    if (!this.carPlugged) return this.setPilot("volt_12");
    return this.setPilot(this.pwm < PWM_OFF || this.carIgnoresPwm ? "volt_6" : "volt_9");
  }

  private async setPilot(p: PilotVoltage): Promise<void> {
    if (p === this.pilot) return;
    this.pilot = p;
    await this.send({ type: "notify" });
  }

  async plugIn(): Promise<void> {
    this.carPlugged = true;
    await this.carFollows();
  }

  async unplug(): Promise<void> {
    this.carPlugged = false;
    await this.carFollows();
  }

  async fault(): Promise<void> {
    await this.setPilot("fault");
  }

  private async send(m: ChargerMessage): Promise<void> {
    if (!this.writer) return;
    await this.writer.write(encodeChargerMessage(m, this.firmware)).catch(() => {});
  }

  /** Sends raw bytes as they are: for tests of garbage on the wire. */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    await this.writer?.write(bytes).catch(() => {});
  }

  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.opts.log?.info("simulated charger: no request for too long, reconnecting", { serial: this.serial });
      this.dropLink();
    }, this.opts.watchdogMs ?? 10_000);
  }

  /** Ends this connection; the dialer connects again shortly (as the firmware does after its watchdog). */
  private dropLink(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    const conn = this.conn;
    this.conn = undefined;
    this.writer = undefined;
    conn?.close("simulator dropped the connection");
  }

  async stop(): Promise<void> {
    const d = this.dialer;
    this.dialer = undefined;
    this.dropLink();
    await d?.stop();
  }
}
