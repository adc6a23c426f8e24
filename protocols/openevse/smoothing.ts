// The gateway's exponential input filter (used by divert and the current shaper, §11): the time
// step is whole seconds since the previous call, so calls less than a second apart do not move
// the value (§14 item 10), and the fraction of a second is lost at every call.

/** τ below this (but above 0) is raised to it. */
export const MIN_TAU_S = 10;

export class InputFilter {
  private last: number | null = null;

  constructor(private readonly clock: () => number) {}

  /** New filtered value from `input`, the previous `filtered` value and time constant `tauS` (0 = no filtering). */
  filter(input: number, filtered: number, tauS: number): number {
    const now = this.clock();
    // The very first call has Δt = 0: the value stays where it was.
    if (this.last === null) this.last = now;
    const dt = Math.max(0, Math.floor((now - this.last) / 1000));
    this.last = now;
    const factor = tauS > 0 ? 1 - Math.exp(-dt / Math.max(tauS, MIN_TAU_S)) : 1;
    return input * factor + filtered * (1 - factor);
  }
}
