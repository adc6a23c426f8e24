// One simulated EVSEMaster charger on its own UDP socket: beacons, PIN check, Heading and status
// pushes, and answers to every command the bridge sends. The app it talks to is a UDP link (the
// same Links and codec as the bridge); beacons go out on the bare socket, as broadcasts would.

import { formatHostPort, framed } from "../../../lib/link.ts";
import type { Logger } from "../../../lib/log.ts";
import { openUdp, type UdpEndpoint, type UdpLink } from "../../../lib/udp.ts";
import { type AppMessage, chargerCodec, type Decoded, encodeEvse, type EvseDatagram, type EvseMessage } from "../codec.ts";
import { dateToEm, emToDate } from "../emtime.ts";
import { APP } from "../enums.ts";
import { SimState, type SimModel } from "./model.ts";

export interface SimOptions {
  serial: string;
  password: string;
  model: SimModel;
  /** Where beacons go: the bridge's port on loopback in tests, the LAN broadcast address otherwise. */
  target: { address: string; port: number };
  bind: string;
  beaconMs: number;
  headingMs: number;
  statusMs: number;
  /** The app counts as gone after this long without a HeadingResponse. */
  appTimeoutMs: number;
  timeZone: string;
  plugged: boolean;
  carMaxA: number;
  log: Logger;
}

type Endpoint = { address: string; port: number };

export class SimCharger {
  readonly state: SimState;
  /** Test hook: when true the charger sends nothing at all (power cut, Wi-Fi gone). */
  silent = false;
  /** Test hook: keep pushing status but no Heading, so the app's session-loss rule kicks in. */
  muteHeadings = false;
  /** Test hook: answer a setting SET with a GET echo of the old value first (a late config-refresh answer). */
  getEchoBeforeSet = false;
  /** Test hook: acknowledge ChargeStop as done (failReason 0) and keep charging. */
  ignoreStop = false;
  /** Test hook: stop without answering 0x0008 (spec G6: units differ in what they answer). */
  noStopResponse = false;
  private sock: UdpEndpoint | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private client: Endpoint | undefined;
  private lastAnswerMs = 0;
  private nextBeacon = 0;
  /** Beacons sent so far (tests wait for a few to pass). */
  beaconsSent = 0;
  private nextHeading = 0;
  private nextStatus = 0;
  private lastStep = Date.now();
  private readonly pumps: Promise<void>[] = [];
  /** One writer per app host that has sent us something. */
  private readonly links = new Map<string, WritableStreamDefaultWriter<EvseDatagram>>();
  /** Everything the app sent, for tests and debugging. */
  readonly received: { at: number; message: AppMessage }[] = [];

  constructor(readonly opts: SimOptions) {
    this.state = new SimState(opts.model, opts.plugged, opts.carMaxA);
  }

  get loggedIn(): boolean {
    return this.client !== undefined;
  }

  get port(): number {
    return this.sock?.port ?? 0;
  }

  async start(): Promise<void> {
    this.sock = await openUdp({ bind: this.opts.bind, port: 0, broadcast: true }, (link) => this.onLink(link));
    const stepMs = Math.max(20, Math.min(500, Math.min(this.opts.beaconMs, this.opts.headingMs, this.opts.statusMs) / 4));
    this.timer = setInterval(() => this.tick(Date.now()), stepMs);
    this.tick(Date.now());
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sock?.close();
    await Promise.all(this.pumps);
  }

  /** Test hook: another app logs in and takes the session (the bridge sees an unsolicited 0x0155). */
  kick(): void {
    if (this.client) this.emit({ type: "passwordError" }, this.client);
    this.client = undefined;
  }

  private em(ms: number): number {
    return dateToEm(new Date(ms), this.opts.timeZone);
  }

  private onLink(link: UdpLink): void {
    const f = framed(link, chargerCodec);
    const writer = f.writable.getWriter();
    writer.closed.catch(() => {});
    this.links.set(link.remote, writer);
    const from = { address: link.address, port: link.port };
    this.pumps.push(f.readable.pipeTo(new WritableStream({ write: (r) => this.onReceive(r, from) })).catch(() => {}));
  }

  private emit(m: EvseMessage, to: Endpoint): void {
    if (this.silent || !this.sock) return;
    const link = this.links.get(formatHostPort(to.address, to.port));
    const sent = link ? link.write({ serial: this.opts.serial, message: m }) : this.sock.send(encodeEvse(this.opts.serial, m), to.address, to.port);
    sent.catch(() => {});
  }

  private tick(now: number): void {
    this.state.step(now, now - this.lastStep);
    this.lastStep = now;
    if (this.client && now - this.lastAnswerMs > this.opts.appTimeoutMs) {
      this.opts.log.info("sim: app stopped answering Headings, back to beaconing", { serial: this.opts.serial });
      this.client = undefined;
    }
    if (!this.client) {
      if (now >= this.nextBeacon) {
        this.nextBeacon = now + this.opts.beaconMs;
        if (!this.silent) this.beaconsSent++;
        this.emit({ type: "beacon", info: this.opts.model.info }, this.opts.target);
      }
      return;
    }
    if (now >= this.nextHeading) {
      this.nextHeading = now + this.opts.headingMs;
      if (!this.muteHeadings) this.emit({ type: "heading" }, this.client);
      // Without Headings there are no answers either; a real unit keeps the app until its own timeout.
      else this.lastAnswerMs = now;
    }
    if (now >= this.nextStatus) {
      this.nextStatus = now + this.opts.statusMs;
      this.pushStatus(now);
    }
  }

  private pushStatus(now: number): void {
    if (!this.client) return;
    this.emit({ type: "status", polled: false, status: this.state.status() }, this.client);
    const session = this.state.sessionData((ms) => this.em(ms), now);
    if (session) this.emit({ type: "session", pushed: true, session }, this.client);
  }

  private onReceive(r: Decoded<AppMessage>, from: Endpoint): void {
    if (!r.ok || r.frame.serial !== this.opts.serial || !(r.frame.command & APP)) return;
    const m = r.message;
    this.received.push({ at: Date.now(), message: m });
    const pinOk = new TextDecoder().decode(r.frame.password) === this.opts.password;
    if (m.type === "requestLogin") {
      this.emit(pinOk ? { type: "loginResponse", info: this.opts.model.info } : { type: "passwordError" }, from);
      return;
    }
    if (m.type === "loginConfirm") {
      if (!pinOk) return this.emit({ type: "passwordError" }, from);
      this.client = from;
      this.lastAnswerMs = Date.now();
      this.nextHeading = Date.now() + this.opts.headingMs / 2;
      this.nextStatus = Date.now();
      return;
    }
    // Everything else needs the live session and the right PIN (§2.3: it is in every datagram).
    if (!pinOk || !this.client) return this.emit({ type: "passwordError" }, from);
    this.client = from;
    this.handle(m, from, Date.now());
  }

  private handle(m: AppMessage, to: Endpoint, now: number): void {
    const st = this.state;
    switch (m.type) {
      case "headingResponse":
        this.lastAnswerMs = now;
        return;
      case "statusAck":
      case "sessionAck":
      case "recordAck":
        return;
      case "sessionRequest": {
        const session = st.sessionData((ms) => this.em(ms), now);
        if (session) this.emit({ type: "session", pushed: false, session }, to);
        return;
      }
      case "statusPoll":
        return this.emit({ type: "status", polled: true, status: st.status() }, to);
      case "chargeStart": {
        const at = emToDate(m.start.startTime, this.opts.timeZone)?.getTime() ?? now;
        const result = st.start(m.start, at, now);
        this.emit({ type: "chargeStartResponse", result }, to);
        this.pushStatus(now);
        return;
      }
      case "chargeStop": {
        const wasCharging = st.charging;
        const ok = this.ignoreStop ? wasCharging || st.reserved : st.stop();
        if (!this.noStopResponse) this.emit({ type: "chargeStopResponse", result: { lineId: 1, stopResult: ok ? 1 : 0, failReason: 0 } }, to);
        this.pushStatus(now);
        const record = wasCharging && !this.ignoreStop ? st.record((ms) => this.em(ms), now, m.stop.userId) : undefined;
        if (record) this.emit({ type: "chargeRecord", record }, to);
        return;
      }
      case "setting": {
        if (this.getEchoBeforeSet && m.action === 1) {
          const old = m.setting === "maxCurrent" ? st.maxCurrentA : st[m.setting];
          this.emit({ type: "setting", setting: m.setting, action: 2, value: old }, to);
        }
        let value: number;
        if (m.setting === "maxCurrent") value = m.action === 1 ? st.setMaxCurrent(m.value) : st.maxCurrentA;
        else {
          if (m.action === 1) st[m.setting] = m.value;
          value = st[m.setting];
        }
        return this.emit({ type: "setting", setting: m.setting, action: m.action, value }, to);
      }
      case "name":
        if (m.action === 1) st.name = m.name.slice(0, 11);
        return this.emit({ type: "name", action: m.action, name: st.name }, to);
      case "systemTime":
        return this.emit({ type: "systemTime", action: m.action, time: m.action === 1 ? m.time : this.em(now) }, to);
      case "getVersion":
        return this.emit({ type: "version", version: this.opts.model.version }, to);
      case "requestLogin":
      case "loginConfirm":
        return;
      case "unknown":
        this.opts.log.debug("sim: unknown command", { command: `0x${m.command.toString(16)}` });
        return;
    }
  }
}
