// One EVSEMaster charger's session, keyed by serial (§4): login with back-off and wrong-PIN
// handling, the acknowledgements and Heading answers that keep it alive, offline detection and the
// config refresh schedule. Requests and replies are matched by the reply's kind through an
// Exchange that lives for one login: losing the session rejects everything still waiting. Time is
// read through `now`, so tests can drive every timer by hand; the listener calls `tick()`.
import { CommandError, errorMessage, TimeoutError } from "../../lib/errors.ts";
import { Exchange } from "../../lib/exchange.ts";
import type { Logger } from "../../lib/log.ts";
import type { AppMessage, EvseMessage } from "./codec.ts";
import type { Endpoint, EndpointGuard } from "./endpoint.ts";
import type { StatusData } from "./evse-payloads.ts";
import { type ConfigFetch, fetchConfig } from "./fetch-config.ts";
import { passwordBytes } from "./frame.ts";
import { EventSource, EvseWire, sameLinkState } from "./session-wiring.ts";
import { LoginFlow } from "./login.ts";
import type { PinBook } from "./pins.ts";
import { type LinkState, type SendDatagram, type SessionEvent, type SessionOptions } from "./session-types.ts";


const NO_PIN = new Uint8Array(6);
const WARN_QUIET_MS = 600_000;

export class EvseSession {
  readonly events: ReadableStream<SessionEvent>;
  /** Set by the events' source once the stream exists. */
  controller: ReadableStreamDefaultController<SessionEvent> | undefined;
  /** Made when a receive first waits for the device: most never do. */
  private drained: (() => void)[] | undefined;
  private exchange: Exchange<AppMessage, EvseMessage, string>;
  private readonly login: LoginFlow;
  private closed = false;
  private online = false;
  private lastRxAt = 0;
  private lastHeadingAnsweredAt = 0;
  private configDueAt = Number.POSITIVE_INFINITY;
  /** The link state last emitted, to emit on change only. */
  private published: LinkState | undefined;
  private quietUntil = 0;
  /** Status datagrams taken so far: tells a fresh status from one older than a command. */
  statusCount = 0;
  /** The newest status of this login (null before one arrives, and after the session ends). */
  status: StatusData | null = null;

  constructor(
    private readonly opts: SessionOptions,
    private readonly guard: EndpointGuard,
    private readonly pins: PinBook,
    private readonly send: SendDatagram,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.login = new LoginFlow(pins, opts.timing, log);
    this.lastRxAt = now();
    this.exchange = this.newExchange();
    this.exchange.close(new CommandError("not logged in"));
    this.events = new ReadableStream<SessionEvent>(new EventSource(this), { highWaterMark: 32 });
  }

  get serial(): string {
    return this.opts.serial;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Datagrams for this serial dropped because they came from another address. */
  get foreignDropped(): number {
    return this.guard.dropped;
  }

  /** Milliseconds since the last datagram from the charger (or since the session was created). */
  silentFor(): number {
    return this.now() - this.lastRxAt;
  }

  /**
   * A datagram for this serial from `from`. Resolves when the device may take the next one (its
   * events are read), so a slow MQTT slows the link instead of piling up events.
   */
  receive(m: EvseMessage, from: Endpoint): Promise<void> {
    if (this.closed) return Promise.resolve();
    const now = this.now();
    const admitted = this.guard.admit(from, m.type === "beacon", this.login.in || this.login.pending, now);
    if (!admitted.ok) {
      // Any LAN host can send these: the count goes into the detail document at the next tick, and a
      // beacon (a moved charger, or someone posing as it) is worth one warning every few minutes.
      const from_ = `${from.address}:${from.port}`;
      if (m.type === "beacon" && now >= this.quietUntil) {
        this.quietUntil = now + WARN_QUIET_MS;
        this.log.warn("beacon from another address ignored: the charger is pinned to its own (set `address` if it moved)", { from: from_, endpoint: this.guard.text });
      } else this.log.debug("datagram from another address dropped: the charger is pinned to its own", { from: from_, endpoint: this.guard.text, type: m.type });
      return Promise.resolve();
    }
    if (admitted.moved) this.log.warn("charger moved to another address: its old one was silent long enough", admitted.moved);
    this.lastRxAt = now;
    if (!this.online) {
      this.online = true;
      this.log.info("charger online", { endpoint: this.guard.text });
      this.emitState(false);
    }
    if (m.type === "status") {
      this.statusCount++;
      this.status = m.status;
    }
    this.emit({ kind: "message", message: m });
    // Replies answer a waiting request only when they come from the host the request went to.
    if (this.guard.isPeer(from)) this.exchange.receive(m);
    // Acknowledgements belong to a session: none for a charger we are not logged in to (or leave alone).
    const acking = this.login.in && !this.opts.disabled;
    switch (m.type) {
      case "loginResponse":
        // A LoginResponse we did not ask for may be another app's broadcast answer (§1): not ours.
        if (this.login.answers(from)) this.loggedIn(m, now);
        break;
      case "passwordError":
        this.onPasswordError(from, now);
        break;
      case "heading":
        if (acking) {
          void this.transmit({ type: "headingResponse" });
          this.lastHeadingAnsweredAt = now;
        }
        break;
      case "status":
        if (acking && !m.polled) void this.transmit({ type: "statusAck" });
        break;
      case "session":
        if (acking && m.pushed) void this.transmit({ type: "sessionAck" });
        break;
      case "chargeRecord":
        if (acking) void this.transmit({ type: "recordAck", ack: { lineId: m.record.lineId, chargeId: m.record.chargeId, status: 0 } });
        break;
      case "unknown":
        this.log.debug("unhandled datagram", { command: `0x${m.command.toString(16)}`, bytes: m.payload.length });
        break;
    }
    this.maybeLogin(now);
    this.emitStateIfChanged();
    return this.ready();
  }

  /** Timers: offline, session loss, login timeout and back-off, config refresh. */
  tick(): void {
    if (this.closed) return;
    const now = this.now();
    const t = this.opts.timing;
    if (this.online && now - this.lastRxAt > t.offlineAfterMs) return this.goOffline();
    if (!this.online) return this.emitStateIfChanged();
    if (this.login.in && now - this.lastHeadingAnsweredAt > t.sessionTimeoutMs) {
      this.log.warn("session lost: no Heading answered", { seconds: t.sessionTimeoutMs / 1000 });
      this.loggedOut("session lost (no Heading)", now, false);
    }
    if (this.login.timedOut(now)) this.exchange.close(new CommandError(`timeout: no LoginResponse within ${t.loginTimeoutMs / 1000} s`));
    if (this.login.in && now >= this.configDueAt) {
      this.configDueAt = now + t.configRefreshMs;
      this.fetchConfig().catch((err: unknown) => this.log.debug("config refresh incomplete", { error: errorMessage(err) }));
    }
    this.maybeLogin(now);
    this.emitStateIfChanged();
  }

  /** Refuses unless a live session can carry a request. */
  requireSession(): void {
    if (this.opts.disabled) throw new CommandError("charger is disabled in the bridge config (evsemaster.charger.disabled)");
    if (!this.online) throw new CommandError("charger is offline");
    if (this.login.state === "denied") throw new CommandError("not logged in: wrong password");
    if (!this.pins.known(this.defaultAllowed())) throw new CommandError("not logged in: no password configured for this charger");
    if (!this.login.in) throw new CommandError("not logged in (login in progress or backing off)");
  }

  /** Sends `m` and resolves with the reply filed under `key` (undefined `key`: none expected). */
  async request(m: AppMessage, key: string | undefined, what: string, timeoutMs = this.opts.timing.replyTimeoutMs): Promise<EvseMessage | undefined> {
    this.requireSession();
    try {
      return await this.exchange.request(m, { key, timeoutMs, what: `${what} from the charger` });
    } catch (err) {
      throw err instanceof TimeoutError ? new TimeoutError(`timeout: ${err.message}`) : err;
    }
  }

  /** The next status datagram from the charger within `timeoutMs` (TimeoutError otherwise). */
  nextStatus(timeoutMs: number): Promise<EvseMessage> {
    return this.exchange.wait("status", timeoutMs, "status datagram");
  }

  /** GETs every setting; the answers also reach the device as a `config` event. */
  async fetchConfig(): Promise<ConfigFetch> {
    this.requireSession();
    const f = await fetchConfig(this, this.opts.timing.replyTimeoutMs, this.now);
    this.emit({ kind: "config", fetch: f });
    return f;
  }

  /**
   * The `login` request: a PIN given here is tried first and kept only when the charger accepts it
   * (the others stay the fallback); without one, every known PIN (default_password included) may
   * be tried again. Resolves once logged in.
   */
  async logIn(password: string | undefined): Promise<{ logged_in: true }> {
    if (this.opts.disabled) throw new CommandError("charger is disabled in the bridge config (evsemaster.charger.disabled)");
    if (!this.online || !this.guard.current) throw new CommandError("charger is offline");
    if (password) this.pins.offer(password);
    else this.pins.retryAll();
    if (!this.pins.choose(true)) throw new CommandError("no password: give args.password or configure one");
    if (this.login.in && !password) return { logged_in: true };
    if (!this.login.pending || password) {
      const now = this.now();
      this.login.requested(now);
      this.maybeLogin(now, true);
      this.emitStateIfChanged();
    }
    const t = this.opts.timing.loginTimeoutMs;
    // Twice the login timeout: the state machine decides (and says why) first.
    await this.exchange.wait("login", 2 * t, "LoginResponse");
    return { logged_in: true };
  }

  /** The listener stops or forgets the charger: everything waiting is rejected with `reason`. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.exchange.close(new CommandError(reason));
    this.drain();
    try {
      this.controller?.close();
    } catch {
      // cancelled by the reader
    }
  }

  private newExchange(): Exchange<AppMessage, EvseMessage, string> {
    return new Exchange<AppMessage, EvseMessage, string>(new EvseWire(this, this.opts.timing.replyTimeoutMs));
  }

  /** Sends a datagram to the charger's endpoint with the session's PIN (§1, §2.3). */
  transmit(m: AppMessage): Promise<void> {
    const to = this.guard.current;
    const attempt = this.login.attempt;
    const password = attempt ? passwordBytes(attempt.pin) : NO_PIN;
    const sent = to ? this.send(to, { serial: this.opts.serial, password, message: m }) : Promise.reject(new CommandError("charger endpoint unknown"));
    // Acknowledgements are not awaited: a failure is logged here, and a request sees it too.
    sent.catch((err: unknown) => this.log.debug("udp send failed", { to: this.guard.text, error: errorMessage(err) }));
    return sent;
  }

  private defaultAllowed(): boolean {
    return this.opts.discoverLogin || this.guard.atTrusted;
  }

  private maybeLogin(now: number, requested = false): void {
    const to = this.guard.current;
    if (this.opts.disabled || !this.online || !to) return;
    // default_password only where the charger was logged in before, unless a request or discover_login says so.
    const choice = this.login.begin(now, requested || this.defaultAllowed(), to);
    if (!choice) return;
    this.exchange.close(new CommandError("not logged in: logging in again"));
    this.exchange = this.newExchange();
    this.log.debug("requesting login", { pin_from: choice.source });
    void this.transmit({ type: "requestLogin" });
  }

  private loggedIn(m: EvseMessage, now: number): void {
    void this.transmit({ type: "loginConfirm" });
    this.login.accepted(now);
    this.lastHeadingAnsweredAt = now;
    this.status = null;
    this.configDueAt = now;
    this.log.info("logged in");
    this.guard.trust();
    while (this.exchange.settle("login", m));
    this.emitState(true);
  }

  private onPasswordError(from: Endpoint, now: number): void {
    // Only the charger itself may refuse our login or drop our session; anyone else is ignored.
    if (this.login.answers(from)) {
      this.exchange.close(new CommandError("wrong password"));
      this.login.refused(now, this.defaultAllowed());
    } else if (this.login.in && this.guard.isPeer(from)) {
      this.log.warn("session dropped by the charger (another app logged in?)", { retry_s: this.login.retryInMs / 1000 });
      this.loggedOut("session taken by another app", now, true);
    }
  }

  private loggedOut(reason: string, now: number, backOff: boolean): void {
    this.login.ended(now, backOff);
    this.configDueAt = Number.POSITIVE_INFINITY;
    this.status = null;
    this.exchange.close(new CommandError(`not logged in: ${reason}`));
    this.emitState(true);
  }

  private goOffline(): void {
    this.log.warn("charger offline: silent", { seconds: this.opts.timing.offlineAfterMs / 1000 });
    this.online = false;
    this.login.offline();
    this.configDueAt = Number.POSITIVE_INFINITY;
    this.status = null;
    this.exchange.close(new CommandError("charger went offline"));
    this.emitState(true);
  }

  private snapshot(): LinkState {
    return {
      online: this.online,
      loggedIn: this.login.in,
      loginError: this.login.error,
      hasPin: this.pins.known(this.defaultAllowed()),
      endpoint: this.guard.text,
      foreignDropped: this.guard.dropped,
    };
  }

  private emitState(fresh: boolean): void {
    const state = this.snapshot();
    this.published = state;
    this.emit({ kind: "state", state, fresh });
  }

  private emitStateIfChanged(): void {
    if (!this.published || !sameLinkState(this.snapshot(), this.published)) this.emitState(false);
  }

  private emit(ev: SessionEvent): void {
    if (this.closed) return;
    this.controller?.enqueue(ev);
  }

  private ready(): Promise<void> {
    if (this.closed || (this.controller?.desiredSize ?? 1) > 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained ??= []).push(resolve));
  }

  /** The device has room for events again. */
  drain(): void {
    const waiting = this.drained;
    if (!waiting) return;
    this.drained = undefined;
    for (const resolve of waiting) resolve();
  }
}
