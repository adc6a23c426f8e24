// Refusals that an attacker can provoke at will are logged once per burst, not once per attempt:
// the first at once, then one summary with the count per window while they keep coming.
import type { Logger } from "./log.ts";

export class BurstLog {
  private count = 0;
  private windowEnds = 0;
  private summary: ReturnType<typeof setTimeout> | undefined;

  constructor(private log: Logger, private msg: string, private windowMs = 60_000, private now: () => number = Date.now) {}

  /** Notes one refusal; logs it when it opens a burst, else counts it for the summary. */
  note(fields: Record<string, unknown>): void {
    const t = this.now();
    if (t >= this.windowEnds) {
      this.windowEnds = t + this.windowMs;
      this.log.warn(this.msg, fields);
      return;
    }
    this.count++;
    if (this.summary) return;
    this.summary = setTimeout(() => {
      this.summary = undefined;
      if (this.count > 0) this.log.warn(`${this.msg} (repeated)`, { more: this.count, within_s: Math.round(this.windowMs / 1000) });
      this.count = 0;
    }, Math.max(0, this.windowEnds - t));
    // A pending summary must not keep a finished process alive.
    if (typeof this.summary === "object" && "unref" in this.summary) this.summary.unref();
  }

  dispose(): void {
    if (this.summary) clearTimeout(this.summary);
  }
}
