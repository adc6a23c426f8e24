// A simulated OpenEVSE controller as a pure state machine with an injected clock: command lines
// (or raw bytes) in, reply and notification lines out. No port: the caller attaches it to a pty or
// a socket and calls `tick()` on a timer so time-driven events (heartbeat, reboot) come out.

import { formatFrame, latin1Bytes, latin1Text } from "../frame.ts";
import { formatNotification } from "../notifications.ts";
import { EVSE_STATE, SETTING, VFLAG, VFLAG_AT_RELEVANT } from "../states.ts";
import { buttonPress, HANDLERS, type Outcome } from "./handlers.ts";
import { SimModel, type SimOptions } from "./model.ts";
import { ControllerReceiver, parseAsController } from "./rx.ts";

export type { SimOptions } from "./model.ts";

/** Misbehaviour on demand, for the commands whose code matches (all when `code` is absent). */
export type InjectedFault =
  | { kind: "nk"; code?: string; times?: number }
  | { kind: "silence"; code?: string; times?: number }
  /** Bytes that are not a frame instead of the reply. */
  | { kind: "garbage"; code?: string; times?: number; text?: string }
  /** The real reply with a wrong checksum. */
  | { kind: "bad-checksum"; code?: string; times?: number };

/** Watchdog delay after `$FR`, plus 3 s when it was charging (§5). */
const REBOOT_MS = 1500;
const REBOOT_CHARGING_EXTRA_MS = 3000;

interface AtTuple {
  state: number;
  pilot: number;
  currentA: number;
  flags: number;
}

export class SimController {
  readonly model: SimModel;
  private readonly rx = new ControllerReceiver();
  private readonly faults: (InjectedFault & { left: number })[] = [];
  private lastAt: AtTuple | null = null;
  /** Between `$FR` (or power-on) and the end of the self test nothing is answered. */
  private resetAt: number | null = null;
  private bootDoneAt: number | null = null;

  constructor(opts: SimOptions) {
    this.model = new SimModel(opts);
    this.model.evaluate();
    this.lastAt = this.tuple();
  }

  get state(): number {
    return this.model.state;
  }

  get booting(): boolean {
    return this.resetAt !== null || this.bootDoneAt !== null;
  }

  inject(fault: InjectedFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Ends every injected fault still pending. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** One command line (without CR) → the lines the controller sends back, in order. */
  receive(line: string): string[] {
    const out = this.tick();
    if (this.booting) return out;
    // Over 31 characters the receive buffer overflows and the frame is dropped without a reply.
    if (line.length > 31) return out;
    const cmd = parseAsController(line);
    if (!cmd) return out;
    if (!cmd.checksumOk) return [...out, formatFrame("NK", [])];
    const fault = this.takeFault(cmd.code);
    if (fault?.kind === "silence") return out;
    if (fault?.kind === "nk") return [...out, formatFrame("NK", [], { seq: cmd.seq })];
    if (fault?.kind === "garbage") return [...out, fault.text ?? "\u00ffZ0 12 34 garbage"];
    const handler = HANDLERS[cmd.code];
    const outcome: Outcome = cmd.tokens > 10 || !handler ? { reply: "nk" } : handler(this.model, cmd.params);
    if (outcome.reply === "none") {
      this.resetAt = this.model.clock() + REBOOT_MS + (this.model.state === EVSE_STATE.charging ? REBOOT_CHARGING_EXTRA_MS : 0);
      return out;
    }
    const early = outcome.stateMessageFirst ? this.stateMessages() : [];
    let reply = formatFrame(outcome.reply === "ok" ? "OK" : "NK", outcome.fields ?? [], { seq: cmd.seq });
    if (fault?.kind === "bad-checksum") reply = `${reply.slice(0, -2)}${reply.endsWith("00") ? "01" : "00"}`;
    // `$AT` is deferred until the command has been answered (§6).
    return [...out, ...early, reply, ...this.stateMessages()];
  }

  /** Raw bytes in, raw bytes out, with the receive buffer and command echo (`$FF E`) of the real thing. */
  feed(bytes: Uint8Array): Uint8Array {
    let text = this.model.echo ? latin1Text(bytes) : "";
    for (const line of this.rx.push(bytes)) {
      for (const reply of this.receive(line)) text += `${reply}\r${this.model.echo ? "\n" : ""}`;
    }
    return latin1Bytes(text);
  }

  /** Time-driven output: heartbeat expiry, reboot and boot messages. Call it every few hundred ms. */
  tick(): string[] {
    const m = this.model;
    const now = m.clock();
    const out: string[] = [];
    if (this.resetAt !== null && now >= this.resetAt) {
      // The firmware force-sends one `$AT` (state 00) before its power-on self test (§6).
      // Timed from when it was due, so one late tick still plays the whole sequence.
      this.bootDoneAt = this.resetAt + m.postMs;
      this.resetAt = null;
      m.reset();
      out.push(SimController.at(this.tuple()));
    }
    if (this.bootDoneAt !== null && now >= this.bootDoneAt) {
      this.bootDoneAt = null;
      m.evaluate();
      this.lastAt = null;
      out.push(formatNotification({ type: "AB", state: 0, firmware: m.firmware }), ...this.stateMessages());
    }
    if (this.booting) return out;
    m.checkHeartbeat();
    out.push(...this.stateMessages());
    return out;
  }

  /** Power-on (or a power cycle): `$AT 00 …`, a silent self test, then `$AB 00 <fw>` and the first real state. */
  powerCycle(): string[] {
    this.resetAt = this.model.clock();
    return this.tick();
  }

  plugIn(): string[] {
    return this.carEvent(() => this.model.plug(true));
  }

  unplug(): string[] {
    return this.carEvent(() => this.model.plug(false));
  }

  /** The car asks for charge (state C on the pilot) or stops asking (back to B). */
  carRequestsCharge(want: boolean, maxA?: number): string[] {
    return this.carEvent(() => {
      this.model.wantsCharge = want && this.model.plugged;
      if (maxA !== undefined) this.model.carMaxA = maxA;
      this.model.evaluate();
    });
  }

  /** The front button; while disabled for the controller (`$FF B 0`) it only reports `$AN`. */
  pressButton(long = false): string[] {
    return this.carEvent(() => {
      if (this.model.settings & SETTING.buttonDisabled) return [formatNotification({ type: "AN", press: long ? "long" : "short" })];
      if (!long) buttonPress(this.model);
      return [];
    });
  }

  /** Enters a fault state (4–14), or clears it with null. */
  setFault(state: number | null): string[] {
    return this.carEvent(() => {
      if (state !== null) this.model.enterFault(state);
      else {
        this.model.fault = null;
        this.model.evaluate();
      }
    });
  }

  private carEvent(change: () => string[] | void): string[] {
    const out = this.tick();
    if (this.booting) return out;
    const extra = change() ?? [];
    return [...out, ...extra, ...this.stateMessages()];
  }

  private takeFault(code: string): InjectedFault | null {
    const i = this.faults.findIndex((f) => f.code === undefined || f.code === code);
    const f = this.faults[i];
    if (!f) return null;
    f.left--;
    if (f.left <= 0) this.faults.splice(i, 1);
    return f;
  }

  private tuple(): AtTuple {
    const m = this.model;
    return { state: m.state, pilot: m.pilotReading, currentA: m.pilotA, flags: m.vflagsNow };
  }

  private static at(t: AtTuple): string {
    return formatNotification({ type: "AT", state: t.state, pilot: t.pilot, currentA: t.currentA, vflags: t.flags });
  }

  /** `$AT` when state, pilot, capacity or a change-relevant flag moved, except in the states where the firmware holds it back (§6). */
  private stateMessages(): string[] {
    const t = this.tuple();
    const last = this.lastAt;
    const changed = !last || last.state !== t.state || last.pilot !== t.pilot || last.currentA !== t.currentA || (last.flags & VFLAG_AT_RELEVANT) !== (t.flags & VFLAG_AT_RELEVANT);
    if (!changed) return [];
    const ev = (t.flags & VFLAG.evConnected) !== 0;
    const inconsistent = t.state === EVSE_STATE.starting || (t.state === EVSE_STATE.notConnected && ev) || ((t.state === EVSE_STATE.connected || t.state === EVSE_STATE.charging) && !ev);
    if (inconsistent) return [];
    this.lastAt = t;
    return [SimController.at(t)];
  }

}
