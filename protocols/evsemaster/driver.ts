// One EVSEMaster charger: login handshake, acknowledgements, offline detection, config refresh (§4).

import { SwitchLimiter } from "../../lib/rate-limit.ts";
import { CommandError } from "../../lib/errors.ts";
import type { ChargerDriver, ChargerHandle, ChargerMeta, ChargerRegistry } from "../../lib/protocol.ts";
import type { Logger } from "../../lib/log.ts";
import type { MqttLink } from "../../lib/mqtt.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import { runRequest, runSet } from "./actions.ts";
import { fetchConfig } from "./fetch-config.ts";
import { encodeApp, type AppMessage, type EvseMessage } from "./codec.ts";
import type { ChargerConfig, EvsemasterConfig } from "./config.ts";
import { EndpointGuard, type Endpoint } from "./endpoint.ts";
import { passwordBytes } from "./frame.ts";
import type { PasswordStore } from "./passwords.ts";
import { Pending } from "./pending.ts";
import { detail, newView, normalized, storeInView, type ChargerView } from "./view.ts";

export interface DriverEnv {
  hub: ChargerRegistry;
  mqtt: MqttLink;
  baseTopic: string;
  log: Logger;
  passwords: PasswordStore;
  settings: EvsemasterConfig;
  send(bytes: Uint8Array, address: string, port: number): void;
}

type LoginState = "none" | "pending" | "in" | "denied";

export class EvseCharger implements ChargerDriver {
  readonly view: ChargerView;
  readonly pending = new Pending();
  readonly log: Logger;
  private handle: ChargerHandle | undefined;
  private metaKey = "";
  private lastDetail = "";
  private pin: string | undefined;
  /** Where the PIN came from: only one given by a `login` request is remembered, only a remembered one forgotten. */
  private pinSource: "config" | "remembered" | "default" | "request" | "none" = "none";
  private readonly guard = new EndpointGuard();
  /** Where the pending RequestLogin went: only that host's LoginResponse / 0x0155 answers it. */
  private loginSentTo: Endpoint | undefined;
  private loginState: LoginState = "none";
  private loginSentAt = 0;
  private loginRetried = false;
  private nextLoginAt = 0;
  private backoffS: number;
  private loggedInAt = 0;
  private lastRxAt = 0;
  private lastHeadingAnsweredAt = 0;
  private configDueAt = Number.POSITIVE_INFINITY;
  /** Start/stop cooldown (relay wear, and cars dislike rapid cycles). */
  readonly switches: SwitchLimiter;
  /** Status datagrams taken from the charger so far: tells a fresh status from one older than a command. */
  statusCount = 0;

  constructor(readonly serial: string, readonly cfg: ChargerConfig | undefined, readonly env: DriverEnv) {
    this.log = env.log.child({ charger: serial });
    const remembered = env.passwords.get(serial);
    this.pin = cfg?.password ?? remembered ?? env.settings.default_password;
    this.pinSource = cfg?.password ? "config" : remembered ? "remembered" : env.settings.default_password ? "default" : "none";
    this.backoffS = env.settings.relogin_min_s;
    this.switches = new SwitchLimiter((cfg?.cooldown_s ?? env.settings.cooldown_s) * 1000);
    this.view = newView(serial, cfg?.disabled ?? false, this.pin !== undefined, env.settings.time_zone);
  }

  get settings(): EvsemasterConfig {
    return this.env.settings;
  }

  get foreignDropped(): number {
    return this.guard.dropped;
  }

  /** Sends an app datagram to the charger's endpoint (§1; learnt as EndpointGuard describes). */
  send(m: AppMessage): void {
    const to = this.guard.current;
    if (!to) return;
    const pw = this.pin ? passwordBytes(this.pin) : new Uint8Array(6);
    this.env.send(encodeApp(this.serial, pw, m), to.address, to.port);
  }

  /** Sends and waits for the reply filed under `key`; refuses when there is no live session. */
  async command<T>(m: AppMessage, key: string, what: string, timeoutS = this.settings.reply_timeout_s): Promise<T> {
    this.requireSession();
    const reply = this.pending.wait<T>(key, timeoutS * 1000, what);
    this.send(m);
    return reply;
  }

  requireSession(): void {
    if (this.view.disabled) throw new CommandError("charger is disabled in the bridge config (evsemaster.charger.disabled)");
    if (!this.view.online) throw new CommandError("charger is offline");
    if (this.loginState === "denied") throw new CommandError("not logged in: wrong password");
    if (!this.pin) throw new CommandError("not logged in: no password configured for this charger");
    if (this.loginState !== "in") throw new CommandError("not logged in (login in progress or backing off)");
  }

  receive(m: EvseMessage, from: Endpoint, now: number): void {
    const pinned = this.loginState === "in" || this.loginState === "pending";
    if (!this.guard.admit(from, m.type === "beacon", pinned)) {
      // Debug only (any LAN host can send these); the count is in the detail document and the stop log.
      this.log.debug("datagram from another host dropped while the session is bound to the charger", { from: `${from.address}:${from.port}`, endpoint: this.guard.text, type: m.type });
      this.view.foreignDropped = this.guard.dropped;
      return;
    }
    this.lastRxAt = now;
    this.view.endpoint = this.guard.text;
    if (!this.view.online) this.goOnline();
    this.handle?.seen();
    if (m.type === "status") this.statusCount++;
    const reply = storeInView(this.view, m);
    // Replies answer a waiting command only when they come from the host the command went to.
    if (reply && this.guard.isPeer(from)) this.answer(reply.key, reply.action, reply.value);
    // Acknowledgements belong to a session: none for a charger we are not logged in to (or leave alone).
    const acking = this.loginState === "in" && !this.view.disabled;
    switch (m.type) {
      case "beacon":
      case "name":
      case "version":
        this.updateMeta();
        break;
      case "loginResponse":
        this.updateMeta();
        // A LoginResponse we did not ask for may be another app's broadcast answer (§1): not ours.
        if (this.loginState === "pending" && this.fromLoginPeer(from)) this.loggedIn(now);
        break;
      case "passwordError":
        this.onPasswordError(from, now);
        break;
      case "heading":
        if (acking) {
          this.send({ type: "headingResponse" });
          this.lastHeadingAnsweredAt = now;
        }
        break;
      case "status":
        if (acking && !m.polled) this.send({ type: "statusAck" });
        break;
      case "session":
        if (acking && m.pushed) this.send({ type: "sessionAck" });
        break;
      case "chargeRecord":
        if (acking) this.send({ type: "recordAck", ack: { lineId: m.record.lineId, chargeId: m.record.chargeId, status: 0 } });
        break;
      case "unknown":
        this.log.debug("unhandled datagram", { command: `0x${m.command.toString(16)}`, bytes: m.payload.length });
        break;
    }
    this.maybeLogin(now);
    this.publish();
  }

  tick(now: number): void {
    const s = this.settings;
    if (!this.view.online) return;
    if (now - this.lastRxAt > s.offline_after_s * 1000) {
      this.goOffline();
      return;
    }
    if (this.loginState === "in" && now - this.lastHeadingAnsweredAt > s.session_timeout_s * 1000) {
      this.log.warn("session lost: no Heading answered", { seconds: s.session_timeout_s });
      this.loggedOut("session lost (no Heading)");
      this.nextLoginAt = now;
    }
    if (this.loginState === "pending" && now - this.loginSentAt > s.login_timeout_s * 1000) {
      this.loginState = "none";
      this.pending.rejectKey("login", new CommandError(`timeout: no LoginResponse within ${s.login_timeout_s} s`));
      // §4.1: retry once right away (the endpoint may be re-learnt from a beacon meanwhile), then back off.
      if (!this.loginRetried) {
        this.loginRetried = true;
        this.nextLoginAt = now;
      } else {
        this.loginRetried = false;
        this.backOff(now);
      }
    }
    if (this.loginState === "in" && now >= this.configDueAt) {
      this.configDueAt = now + s.config_refresh_s * 1000;
      void fetchConfig(this).catch((err: Error) => this.log.debug("config refresh incomplete", { error: err.message }));
    }
    this.maybeLogin(now);
    this.publish();
  }

  /** The `login` request: optionally a new password (remembered in the state dir once it works), then a fresh handshake. */
  async login(password: string | undefined, now: number): Promise<unknown> {
    if (this.view.disabled) throw new CommandError("charger is disabled in the bridge config (evsemaster.charger.disabled)");
    if (password) {
      this.pin = password;
      this.pinSource = "request";
    }
    if (!this.pin) throw new CommandError("no password: give args.password or configure one");
    if (!this.view.online || !this.guard.current) throw new CommandError("charger is offline");
    this.view.hasPassword = true;
    if (this.loginState === "in" && !password) return { logged_in: true };
    const done = this.pending.wait<unknown>("login", this.settings.login_timeout_s * 1000, "LoginResponse");
    this.loginState = "none";
    this.nextLoginAt = now;
    this.loginRetried = true;
    this.maybeLogin(now);
    await done;
    return { logged_in: true };
  }

  set(cmd: SetCommand): Promise<unknown> {
    return runSet(this, cmd);
  }

  request(action: string, args: Record<string, unknown>): Promise<unknown> {
    return runRequest(this, action, args);
  }

  stop(): void {
    this.pending.rejectAll(new CommandError("bridge is stopping"));
  }

  /** Normalized state through the hub, and the retained detail document when it changed. */
  publish(detailOnly = false): void {
    if (!this.handle) return;
    if (!detailOnly) this.handle.update(normalized(this.view));
    const text = JSON.stringify(detail(this.view));
    if (text === this.lastDetail) return;
    this.lastDetail = text;
    this.env.mqtt.publish(`${this.env.baseTopic}/${this.handle.id}/evsemaster`, text, { retain: true });
  }

  /**
   * Config answers echo the action (1 SET, 2 GET), so a refresh GET cannot satisfy a pending SET
   * (it would report the old value as the SET's result); only a unit that echoes something else
   * answers the oldest asker of either kind.
   */
  private answer(key: string, action: number | undefined, value: unknown): void {
    if (action === undefined) this.pending.resolve(key, value);
    else if (action === 1 || action === 2) this.pending.resolve(`${key}:${action}`, value);
    else this.pending.resolve(`${key}:1`, value) || this.pending.resolve(`${key}:2`, value);
  }

  private fromLoginPeer(from: Endpoint): boolean {
    return this.loginSentTo !== undefined && this.loginSentTo.address === from.address;
  }

  /** Status and session from before this login (an earlier session, another app's, a spoofer's) decide nothing. */
  private forgetState(): void {
    this.view.status = null;
    this.view.session = null;
  }

  private maybeLogin(now: number): void {
    if (this.view.disabled || !this.pin || !this.guard.current || !this.view.online) return;
    if (this.loginState !== "none" || now < this.nextLoginAt) return;
    this.loginState = "pending";
    this.loginSentAt = now;
    this.loginSentTo = { ...this.guard.current };
    this.log.debug("requesting login");
    this.send({ type: "requestLogin" });
  }

  private loggedIn(now: number): void {
    this.send({ type: "loginConfirm" });
    this.loginState = "in";
    this.loginRetried = false;
    this.view.loggedIn = true;
    this.view.loginError = null;
    this.loggedInAt = now;
    this.lastHeadingAnsweredAt = now;
    this.forgetState();
    this.configDueAt = now;
    this.log.info("logged in");
    if (this.pinSource === "request" && this.pin) this.env.passwords.remember(this.serial, this.pin);
    this.pending.resolve("login", true);
  }

  private onPasswordError(from: Endpoint, now: number): void {
    // Only the charger itself may refuse our login or drop our session; anyone else is ignored.
    if (this.loginState === "pending" && this.fromLoginPeer(from)) {
      this.loginState = "denied";
      this.view.loginError = "wrong password";
      // The PIN was changed in the OEM app since we learnt it: a stale one must not be tried at every start.
      if (this.pinSource === "remembered") this.env.passwords.forget(this.serial);
      // Reported once; no automatic retries, since each try may kick the OEM app (§4.1).
      this.log.warn("login refused: wrong password; not retrying until a `login` request or a restart");
      this.pending.rejectKey("login", new CommandError("wrong password"));
    } else if (this.loginState === "in" && this.guard.isPeer(from)) {
      this.log.warn("session dropped by the charger (another app logged in?)", { retry_s: this.backoffS });
      this.loggedOut("session taken by another app");
      this.backOff(now);
    }
  }

  private backOff(now: number): void {
    // A session that lasted long enough proves the fight is over: start the back-off afresh.
    if (this.loggedInAt > 0 && now - this.loggedInAt >= this.settings.relogin_max_s * 1000) this.backoffS = this.settings.relogin_min_s;
    this.nextLoginAt = now + this.backoffS * 1000;
    this.backoffS = Math.min(this.backoffS * 2, this.settings.relogin_max_s);
  }

  private loggedOut(reason: string): void {
    this.loginState = "none";
    this.view.loggedIn = false;
    this.loggedInAt = 0;
    this.configDueAt = Number.POSITIVE_INFINITY;
    this.forgetState();
    this.pending.rejectAll(new CommandError(`not logged in: ${reason}`));
  }

  private meta(): ChargerMeta {
    const i = this.view.info;
    return {
      protocol: "evsemaster",
      name: this.cfg?.name ?? (this.view.config.name || undefined),
      manufacturer: i?.brand || undefined,
      model: i?.model || undefined,
      sw_version: this.view.version?.softwareVersion || undefined,
    };
  }

  /** Re-attaching republishes Home Assistant discovery with what we now know about the device. */
  private updateMeta(): void {
    const meta = this.meta();
    const key = JSON.stringify(meta);
    if (!this.handle || key === this.metaKey) return;
    this.metaKey = key;
    this.handle = this.env.hub.attach(this.serial, meta, this);
  }

  private goOnline(): void {
    this.view.online = true;
    const meta = this.meta();
    this.metaKey = JSON.stringify(meta);
    this.handle = this.env.hub.attach(this.serial, meta, this);
    this.log.info("charger online", { endpoint: this.view.endpoint });
  }

  private goOffline(): void {
    this.log.warn("charger offline: silent", { seconds: this.settings.offline_after_s });
    this.view.online = false;
    if (this.loginState !== "denied") this.loginState = "none";
    this.view.loggedIn = false;
    this.loggedInAt = 0;
    this.configDueAt = Number.POSITIVE_INFINITY;
    this.forgetState();
    this.pending.rejectAll(new CommandError("charger went offline"));
    this.publish(true);
    this.handle?.detach();
    this.handle = undefined;
  }
}
