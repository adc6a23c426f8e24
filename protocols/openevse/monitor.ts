// What the gateway does with a controller link (spec §9.1, §9.2, §8.5), on top of a RapiSession:
// start-up queries (again after every `$AB`), the 1 s monitor tick with its poll schedule, and
// heartbeat upkeep, so a controller that once had a gateway keeps its current. Everything learnt
// goes into one view, sent on as `view` events.
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { Command } from "./codec.ts";
import * as C from "./commands.ts";
import type { Notification } from "./notifications.ts";
import { parseHeartbeat, parseSC } from "./replies.ts";
import type { RapiReply, RapiSession } from "./session.ts";
import { EVSE_STATE, isErrorState } from "./states.ts";
import { featuresOf, parseRapiVersion } from "./version.ts";
import { applyNotification, applyReply, emptyView, snapshot, type ControllerView } from "./view.ts";

export interface MonitorOptions {
  /** `$SY interval current`; interval 0 disarms supervision. */
  heartbeatIntervalS: number;
  heartbeatCurrentA: number;
  /** Full status dump (and `$GS`/`$GP` safety-net polls) this often. */
  fullDumpS: number;
  tickMs?: number;
  /** `$GV` is asked this often until it is answered (the gateway waits 10 s; we keep it short). */
  versionRetryMs?: number;
  now?: () => number;
}

/** Ticks between heartbeat arming attempts (§9.2). */
const ARM_RETRY_TICKS = 30;
/** Without heartbeat pulses, a `$GS` this often tells whether the controller still answers. */
const LIVENESS_TICKS = 5;
/** After `$FR`, the controller's `$AB` is awaited this long (1.5 s watchdog + 3 s when charging + self test). */
const REBOOT_WAIT_MS = 10_000;
/** While charging, the energy counter is read this often. */
const ENERGY_TICKS = 5;

export class Monitor {
  readonly view: ControllerView = emptyView();
  private up = false;
  private generation = 0;
  private tickN = 1;
  private ticking = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private heartbeatArmed = false;
  private wake: (() => void) | undefined;
  private pending = new Set<string>();
  private refreshing = false;
  private readonly now: () => number;

  constructor(private readonly session: RapiSession, private readonly opts: MonitorOptions, private readonly log: Logger) {
    this.now = opts.now ?? Date.now;
    session.onNotification = (n) => this.onNotification(n);
    session.onClose = () => this.stop();
  }

  get isUp(): boolean {
    return this.up;
  }

  get armed(): boolean {
    return this.heartbeatArmed;
  }

  start(): void {
    void this.startup(false);
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 1000);
  }

  stop(): void {
    this.generation++;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.wake?.();
  }

  /**
   * A command that changes the controller (`$FE`, `$FS`, `$FD`, `$SC`, `$FR`…), with the view kept
   * in line: the `$SC` reply is the pilot now in force, and a state change is re-read with `$GS`
   * (after `$FE` the controller passes through state 0, §9.3).
   */
  async control(cmd: Command): Promise<RapiReply> {
    if (cmd.code === "FR") return this.reboot(cmd);
    const reply = await this.session.request(cmd);
    if (cmd.code === "SC" && reply.fields.length > 0) {
      try {
        const pilot = parseSC(reply.fields);
        if (pilot !== this.view.pilotA) {
          this.view.pilotA = pilot;
          this.emitView(false);
        }
      } catch (err) {
        this.log.warn("unreadable $SC reply", { reply: reply.text, error: errorMessage(err) });
      }
    }
    if (reply.ok && (cmd.code === "FE" || cmd.code === "FS" || cmd.code === "FD" || cmd.code === "F1")) this.refresh(["GS"]);
    return reply;
  }

  /**
   * `$FR`: no reply comes, the controller is silent until its `$AB` (§5). Polls pause meanwhile so
   * the reboot does not read as a controller that stopped answering; without an `$AB` within
   * REBOOT_WAIT_MS the start-up runs anyway.
   */
  private async reboot(cmd: Command): Promise<RapiReply> {
    const reply = await this.session.request(cmd);
    this.up = false;
    const gen = this.generation;
    setTimeout(() => {
      if (gen === this.generation && !this.up && !this.session.isClosed) void this.startup(true);
    }, REBOOT_WAIT_MS);
    return reply;
  }

  /** Re-reads these get commands soon (in the background) and reports the view if it changed. */
  refresh(codes: string[]): void {
    for (const c of codes) this.pending.add(c);
    if (this.refreshing) return;
    this.refreshing = true;
    void (async () => {
      let changed = false;
      try {
        while (this.pending.size > 0 && !this.session.isClosed) {
          const [code] = this.pending;
          if (code === undefined) break;
          this.pending.delete(code);
          changed = (await this.get(code)) || changed;
        }
      } finally {
        this.refreshing = false;
      }
      if (changed) this.emitView(false);
    })();
  }

  private emitView(dump: boolean): void {
    this.session.emit({ kind: "view", view: snapshot(this.view), dump });
  }

  /** One get command into the view; true when it changed something. Failures are logged, never thrown. */
  private async get(code: string): Promise<boolean> {
    try {
      const reply = await this.session.request({ code }, { retry: true });
      if (!reply.ok) {
        this.log.debug(`$${code} answered $NK`, { reply: reply.text });
        return false;
      }
      return applyReply(this.view, code, reply.fields, this.now());
    } catch (err) {
      this.log.debug(`$${code} failed`, { error: errorMessage(err) });
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** §9.1: `$GV` until answered, then settings, capacity, faults, ids and heartbeat, then the state. */
  private async startup(reboot: boolean): Promise<void> {
    const gen = ++this.generation;
    const live = () => gen === this.generation && !this.session.isClosed;
    this.up = false;
    while (live()) {
      try {
        const r = await this.session.request({ code: "GV" });
        if (r.ok) {
          applyReply(this.view, "GV", r.fields, this.now());
          break;
        }
        this.log.warn("$GV answered $NK; asking again", { reply: r.text });
      } catch (err) {
        this.log.debug("no $GV reply yet", { error: errorMessage(err) });
      }
      await this.sleep(this.opts.versionRetryMs ?? 2000);
    }
    if (!live()) return;
    const version = parseRapiVersion(this.view.protocol ?? "");
    if (!version.ok) return;
    const f = featuresOf(version.value);
    this.view.features = f;
    this.session.useSequenceIds(f.sequenceIds);
    const codes = ["GE", "GC", "GF", ...(f.mcuId ? ["GI"] : []), ...(f.d9 ? ["GZ"] : [])];
    for (const code of codes) if (live()) await this.get(code);
    if (live()) await this.setupHeartbeat();
    for (const code of ["GS", "GU", "GP"]) if (live()) await this.get(code);
    if (!live()) return;
    this.up = true;
    this.log.info(reboot ? "controller rebooted; start-up done" : "controller answering", { firmware: this.view.firmware, rapi: this.view.protocol, heartbeat: this.heartbeatArmed ? `${this.opts.heartbeatIntervalS} s` : "off" });
    this.session.emit({ kind: "up", view: snapshot(this.view), reboot });
  }

  /**
   * Arms supervision as configured, writing the controller's EEPROM only when its values differ
   * (the gateway rewrites them at every connect). A missed pulse still pending is acknowledged.
   */
  private async setupHeartbeat(): Promise<void> {
    const f = this.view.features;
    if (!f?.heartbeat) return;
    const { heartbeatIntervalS: interval, heartbeatCurrentA: current } = this.opts;
    await this.get("GY");
    let hb = this.view.heartbeat;
    const wanted = interval === 0 ? hb === null || hb.intervalS !== 0 : hb === null || hb.intervalS !== interval || hb.currentA !== current;
    if (wanted) {
      try {
        const r = await this.session.request(C.heartbeatArm(interval, interval === 0 ? 0 : current, f));
        if (r.ok) hb = this.view.heartbeat = parseHeartbeat(r.fields, "SY");
        else this.log.warn("$SY refused: heartbeat supervision not available", { reply: r.text });
      } catch (err) {
        this.log.debug("$SY failed", { error: errorMessage(err) });
      }
    }
    this.heartbeatArmed = interval > 0 && hb !== null && hb.intervalS === interval;
    if (hb?.trigger === 2) await this.acknowledgeMiss();
  }

  /** §8.5: `$SY 165` restores the configured maximum; the pilot is re-read so the device re-applies its current. */
  private async acknowledgeMiss(): Promise<void> {
    const f = this.view.features;
    if (!f) return;
    this.log.warn("controller missed heartbeat pulses and lowered its current; acknowledging");
    try {
      const r = await this.session.request(C.heartbeatAck(f));
      if (r.ok) this.view.heartbeat = parseHeartbeat(r.fields, "SY");
    } catch (err) {
      this.log.debug("$SY 165 failed", { error: errorMessage(err) });
    }
    if (await this.get("GC")) this.emitView(false);
  }

  private async pulse(): Promise<void> {
    const f = this.view.features;
    if (!f) return;
    let r: RapiReply;
    try {
      r = await this.session.request(C.heartbeatPulse(f));
    } catch {
      return;
    }
    if (r.ok) {
      try {
        this.view.heartbeat = parseHeartbeat(r.fields, "SY");
        if (this.view.heartbeat.intervalS === 0) this.heartbeatArmed = false;
      } catch (err) {
        this.log.debug("unreadable $SY reply", { error: errorMessage(err) });
      }
      return;
    }
    await this.acknowledgeMiss();
  }

  /** §9.2, one tick. A tick still running when the next is due makes that one skip. */
  private async tick(): Promise<void> {
    if (!this.up || this.ticking || this.session.isClosed) return;
    this.ticking = true;
    const n = this.tickN++;
    const dumpTicks = Math.max(1, Math.round((this.opts.fullDumpS * 1000) / (this.opts.tickMs ?? 1000)));
    try {
      const full = n % dumpTicks === 0;
      const charging = this.view.state === EVSE_STATE.charging;
      let changed = false;
      let asked = false;
      if (this.heartbeatArmed) {
        await this.pulse();
        asked = true;
      } else if (this.opts.heartbeatIntervalS > 0 && n % ARM_RETRY_TICKS === 0) {
        await this.setupHeartbeat();
        asked = true;
      }
      const codes: string[] = [];
      if (full) codes.push("GS");
      // Current every second while charging, and the pilot, in case it was raised behind our back (§9.2).
      if (charging) codes.push("GG", "GC");
      if (full || (charging && n % ENERGY_TICKS === 0)) codes.push("GU");
      if (full) codes.push("GP");
      if (codes.length === 0 && !asked && n % LIVENESS_TICKS === 0) codes.push("GS");
      for (const code of codes) changed = (await this.get(code)) || changed;
      if (changed || full) this.emitView(full);
    } finally {
      this.ticking = false;
    }
  }

  private onNotification(n: Notification): void {
    switch (n.type) {
      case "AT":
      case "ST": {
        const before = this.view.state;
        if (applyNotification(this.view, n, this.now())) this.emitView(false);
        const after = this.view.state;
        if (before === after || !this.up) return;
        // Elapsed time and energy restart with a session; faults bring new counters (§9.2).
        const follow = ["GS", "GU"];
        if (after !== null && isErrorState(after)) follow.push("GF");
        if (before === EVSE_STATE.charging && this.view.features?.d9) follow.push("GZ");
        this.refresh(follow);
        return;
      }
      case "AB":
        this.log.info("controller boot notification", { boot_state: n.state, firmware: n.firmware });
        this.view.state = n.state === 0 ? null : n.state;
        this.heartbeatArmed = false;
        void this.startup(true);
        return;
      default:
        this.session.emit({ kind: "notification", notification: n });
    }
  }
}
