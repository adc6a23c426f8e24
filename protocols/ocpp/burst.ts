// One log line per burst: a flood of refusals (made-up identities, password guesses) must not
// flood the log. The first event of a burst is logged; the next ones are counted and reported
// with the first one logged after `intervalMs`.
export class Burst {
  private lastLogged = Number.NEGATIVE_INFINITY;
  private held = 0;

  constructor(private readonly intervalMs = 60_000, private readonly now: () => number = Date.now) {}

  /** undefined: hold this one back; a number: log it, noting that many held back since the last line. */
  hit(): number | undefined {
    const t = this.now();
    if (t - this.lastLogged < this.intervalMs) {
      this.held++;
      return undefined;
    }
    const held = this.held;
    this.held = 0;
    this.lastLogged = t;
    return held;
  }
}
