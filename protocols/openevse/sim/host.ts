// The simulated controller on a real link (a TCP connection, or a pty through socat): bytes from
// the host go through its receive buffer, its replies and notifications go back with CR, and a
// timer drives time-based output (heartbeat expiry, reboot). One host at a time, as on a serial
// line: a newer connection replaces the older one.
import { errorMessage } from "../../../lib/errors.ts";
import type { Link } from "../../../lib/link.ts";
import { type Logger, silentLogger } from "../../../lib/log.ts";
import { latin1Bytes } from "../frame.ts";
import { type InjectedFault, SimController, type SimOptions } from "./controller.ts";
import { ControllerReceiver } from "./rx.ts";

export interface SimHostOptions extends Omit<SimOptions, "clock"> {
  clock?: () => number;
  /** How often time-driven output is checked. */
  tickMs?: number;
  log?: Logger;
}

export class SimHost {
  readonly sim: SimController;
  /** Command lines received (without CR), for tests. */
  readonly received: string[] = [];
  /** Links served so far. */
  connections = 0;
  private link: Link | undefined;
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private readonly rx = new ControllerReceiver();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly log: Logger;

  constructor(opts: SimHostOptions = {}) {
    this.sim = new SimController({ ...opts, clock: opts.clock ?? Date.now });
    this.log = opts.log ?? silentLogger;
    this.timer = setInterval(() => void this.send(this.sim.tick()), opts.tickMs ?? 100);
  }

  get connected(): boolean {
    return this.link !== undefined;
  }

  /** Serves `link` until it closes. */
  async attach(link: Link): Promise<void> {
    if (this.link) {
      this.log.info("simulated controller: a new host replaces the old one", { old: this.link.remote, new: link.remote });
      this.link.close("replaced by a newer connection");
    }
    this.link = link;
    this.connections++;
    const writer = link.writable.getWriter();
    writer.closed.catch(() => {});
    this.writer = writer;
    const reader = link.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.received.push(...this.rx.push(value));
        const out = this.sim.feed(value);
        if (out.length > 0) await writer.write(out);
      }
    } catch (err) {
      this.log.debug("simulated controller: link error", { error: errorMessage(err) });
    } finally {
      if (this.link === link) {
        this.link = undefined;
        this.writer = undefined;
      }
      link.close("simulator done with the link");
    }
  }

  /** Lines as the controller sends them (each with CR); dropped while no host is attached. */
  async send(lines: readonly string[]): Promise<void> {
    if (lines.length === 0 || !this.writer) return;
    await this.writer.write(latin1Bytes(lines.map((l) => `${l}\r`).join(""))).catch(() => {});
  }

  plugIn(): Promise<void> {
    return this.send(this.sim.plugIn());
  }

  unplug(): Promise<void> {
    return this.send(this.sim.unplug());
  }

  carRequestsCharge(want: boolean, maxA?: number): Promise<void> {
    return this.send(this.sim.carRequestsCharge(want, maxA));
  }

  setFault(state: number | null): Promise<void> {
    return this.send(this.sim.setFault(state));
  }

  pressButton(long = false): Promise<void> {
    return this.send(this.sim.pressButton(long));
  }

  powerCycle(): Promise<void> {
    return this.send(this.sim.powerCycle());
  }

  inject(fault: InjectedFault): void {
    this.sim.inject(fault);
  }

  clearFaults(): void {
    this.sim.clearFaults();
  }

  /** Drops the current host's link (as when a cable is pulled). */
  disconnect(): void {
    this.link?.close("simulator dropped the link");
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.disconnect();
  }
}
