// Which PIN one charger's login uses. Candidates in order: one given by a `login` request (tried
// once, kept only when the charger accepts it), one accepted that way earlier in this run, the
// configured one, one remembered from an earlier run, and the section's default_password (only
// where the caller allows it). A PIN the charger refused is not tried again by itself until a
// `login` request asks for it, so the charger (and the OEM app it may kick, §4.1) is not hammered.
import type { SerialStore } from "./serial-store.ts";

export type PinSource = "request" | "accepted" | "config" | "remembered" | "default";

export interface PinChoice {
  pin: string;
  source: PinSource;
}

export class PinBook {
  private trial: string | undefined;
  private accepted: string | undefined;
  private readonly refused = new Set<string>();

  constructor(
    private readonly serial: string,
    private readonly configured: string | undefined,
    private readonly fallback: string | undefined,
    private readonly store: SerialStore,
  ) {}

  private candidates(allowDefault: boolean): PinChoice[] {
    const all: [string | undefined, PinSource][] = [
      [this.trial, "request"],
      [this.accepted, "accepted"],
      [this.configured, "config"],
      [this.store.get(this.serial), "remembered"],
      [allowDefault ? this.fallback : undefined, "default"],
    ];
    return all.flatMap(([pin, source]) => (pin === undefined ? [] : [{ pin, source }]));
  }

  /** The PIN to log in with now: the first candidate not refused. */
  choose(allowDefault: boolean): PinChoice | undefined {
    return this.candidates(allowDefault).find((c) => !this.refused.has(c.pin));
  }

  /** Whether any PIN is known at all (refused ones included): what `password_configured` reports. */
  known(allowDefault: boolean): boolean {
    return this.candidates(allowDefault).length > 0;
  }

  /** A `login` request with a PIN: tried next, ahead of the others. */
  offer(pin: string): void {
    this.trial = pin;
    this.refused.delete(pin);
  }

  /** A `login` request without a PIN: every known PIN may be tried again. */
  retryAll(): void {
    this.refused.clear();
  }

  /** The charger accepted `c`: a PIN from a request is kept for this run and remembered for the next. */
  accept(c: PinChoice): void {
    if (c.source !== "request") return;
    this.trial = undefined;
    this.accepted = c.pin;
    this.store.remember(this.serial, c.pin);
  }

  /** The charger refused `c`: not tried again by itself; a stale remembered PIN is forgotten. */
  refuse(c: PinChoice): void {
    this.refused.add(c.pin);
    if (c.source === "request") this.trial = undefined;
    if (c.source === "accepted") this.accepted = undefined;
    if ((c.source === "remembered" || c.source === "accepted") && this.store.get(this.serial) === c.pin) this.store.forget(this.serial);
  }
}
