// Failed HTTP Basic logins counted per source address: after AUTH_MAX_FAILURES within
// AUTH_WINDOW_MS the address is refused at once (HTTP 429) until the window has passed since its
// last failure, without its credentials being checked, so guessing stops being worth it.

export const AUTH_MAX_FAILURES = 5;
export const AUTH_WINDOW_MS = 60_000;
/** Addresses tracked at most (an attacker with many addresses must not grow memory); the oldest go first. */
const MAX_ADDRESSES = 4096;

interface Failures {
  count: number;
  last: number;
}

export class AuthLimiter {
  private readonly byAddress = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now, private readonly maxFailures = AUTH_MAX_FAILURES, private readonly windowMs = AUTH_WINDOW_MS) {}

  /** Seconds until `address` may try again; 0 when it may try now. */
  retryAfterS(address: string): number {
    const f = this.current(address);
    if (!f || f.count < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((f.last + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    const f = this.current(address) ?? { count: 0, last: 0 };
    f.count++;
    f.last = this.now();
    // Re-inserted, so the map stays ordered by the latest failure.
    this.byAddress.delete(address);
    this.byAddress.set(address, f);
    if (this.byAddress.size > MAX_ADDRESSES) {
      const oldest = this.byAddress.keys().next();
      if (!oldest.done) this.byAddress.delete(oldest.value);
    }
  }

  succeeded(address: string): void {
    this.byAddress.delete(address);
  }

  private current(address: string): Failures | undefined {
    const f = this.byAddress.get(address);
    if (f && this.now() - f.last >= this.windowMs) {
      this.byAddress.delete(address);
      return undefined;
    }
    return f;
  }
}
