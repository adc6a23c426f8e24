/** Minimum spacing between contactor switches: relays wear, and cars dislike rapid on/off cycles. */
export class SwitchLimiter {
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** Milliseconds until the next switch is allowed (0 = now). */
  waitMs(): number {
    return Math.max(0, this.last + this.intervalMs - this.now());
  }

  /** Notes a switch now; the returned function takes it back (for a command the device refused). */
  record(): () => void {
    const before = this.last;
    const at = (this.last = this.now());
    return () => {
      if (this.last === at) this.last = before;
    };
  }

  /** A sentence for the refusal reply, or undefined when a switch is allowed. */
  refusal(what: string): string | undefined {
    const wait = this.waitMs();
    if (wait === 0) return undefined;
    const ago = Math.round((this.now() - this.last) / 1000);
    return `${what} refused: the last on/off switch was ${ago} s ago; next allowed in ${Math.ceil(wait / 1000)} s (minimum interval ${Math.round(this.intervalMs / 1000)} s)`;
  }
}
