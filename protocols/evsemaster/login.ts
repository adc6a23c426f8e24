// The login of one charger (§4.1) as a small state machine: when a RequestLogin is due and with
// which PIN, what a LoginResponse, a 0x0155 or silence means next (retry once, back off, try the
// next known PIN, or stop until asked). The session sends the datagrams; this decides.
import type { Logger } from "../../lib/log.ts";
import type { Endpoint } from "./endpoint.ts";
import type { PinBook, PinChoice } from "./pins.ts";

export type LoginState = "none" | "pending" | "in" | "denied";

export interface LoginTiming {
  loginTimeoutMs: number;
  reloginMinMs: number;
  reloginMaxMs: number;
}

export class LoginFlow {
  state: LoginState = "none";
  error: string | null = null;
  /** The PIN of the pending or live login (every datagram carries it, §2.3). */
  attempt: PinChoice | undefined;
  /** Where the pending RequestLogin went: only that host's LoginResponse / 0x0155 answers it. */
  private sentTo: Endpoint | undefined;
  private sentAt = 0;
  private retried = false;
  private nextAt = 0;
  private backoffMs: number;
  private inSince = 0;

  constructor(private readonly pins: PinBook, private readonly timing: LoginTiming, private readonly log: Logger) {
    this.backoffMs = timing.reloginMinMs;
  }

  get pending(): boolean {
    return this.state === "pending";
  }

  get in(): boolean {
    return this.state === "in";
  }

  /** The PIN to send a RequestLogin to `to` with, when one is due now; the login is then pending. */
  begin(now: number, allowDefault: boolean, to: Endpoint): PinChoice | undefined {
    if (this.state !== "none" || now < this.nextAt) return undefined;
    const choice = this.pins.choose(allowDefault);
    if (!choice) return undefined;
    this.attempt = choice;
    this.state = "pending";
    this.sentAt = now;
    this.sentTo = { ...to };
    return choice;
  }

  /** A `login` request: a fresh handshake now, counted as the retry (a silence then backs off). */
  requested(now: number): void {
    this.state = "none";
    this.nextAt = now;
    this.retried = true;
  }

  /** Whether a LoginResponse or 0x0155 from `from` answers the pending RequestLogin. */
  answers(from: Endpoint): boolean {
    return this.state === "pending" && this.sentTo !== undefined && this.sentTo.address === from.address;
  }

  accepted(now: number): void {
    this.state = "in";
    this.retried = false;
    this.error = null;
    this.inSince = now;
    if (this.attempt) this.pins.accept(this.attempt);
  }

  /** The charger refused the pending PIN: the next known one is tried once, else no more tries by itself. */
  refused(now: number, allowDefault: boolean): void {
    const refused = this.attempt;
    if (refused) this.pins.refuse(refused);
    this.error = "wrong password";
    const next = this.pins.choose(allowDefault);
    if (next) {
      // E.g. the configured PIN after a wrong one from a `login` request.
      this.log.warn("login refused: wrong password; trying the next known PIN", { refused_pin_from: refused?.source, next_pin_from: next.source });
      this.state = "none";
      this.nextAt = now;
    } else {
      this.state = "denied";
      // Reported once; no automatic retries, since each try may kick the OEM app (§4.1).
      this.log.warn("login refused: wrong password; not retrying until a `login` request or a restart");
    }
  }

  /** True when the pending RequestLogin went unanswered: retried once right away, then with back-off. */
  timedOut(now: number): boolean {
    if (this.state !== "pending" || now - this.sentAt <= this.timing.loginTimeoutMs) return false;
    this.state = "none";
    // §4.1: the endpoint may be re-learnt from a beacon meanwhile.
    if (!this.retried) {
      this.retried = true;
      this.nextAt = now;
    } else {
      this.retried = false;
      this.backOff(now);
    }
    return true;
  }

  /** The session ended: `backOff` when another app took it (a fight), at once when it just lapsed. */
  ended(now: number, backOff: boolean): void {
    const since = this.inSince;
    this.state = "none";
    this.inSince = 0;
    if (!backOff) {
      this.nextAt = now;
      return;
    }
    // A session that lasted long enough proves the fight is over: start the back-off afresh.
    if (since > 0 && now - since >= this.timing.reloginMaxMs) this.backoffMs = this.timing.reloginMinMs;
    this.backOff(now);
  }

  /** The charger went silent: a refusal stands, anything else starts over when it is back. */
  offline(): void {
    if (this.state !== "denied") this.state = "none";
    this.inSince = 0;
  }

  get retryInMs(): number {
    return this.backoffMs;
  }

  private backOff(now: number): void {
    this.nextAt = now + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.timing.reloginMaxMs);
  }
}
