// GOOSE retransmission (spec §6.2): every (re)send request sends the current frame at once with a
// new stNum and sqNum 0, then repeats it after 2, 2, 4 and 8 ms and then every 1000 ms, sqNum + 1
// each time. Counters are 16 bits wide as in the library (encoded in 4 bytes).

const FIRST_GAPS_MS = [2, 2, 4, 8] as const;
export const STEADY_GAP_MS = 1000;

/** Milliseconds between the send with sqNum − 1 and the send with `sqNum` (sqNum ≥ 1). */
export function gapBefore(sqNum: number): number {
  return FIRST_GAPS_MS[sqNum - 1] ?? STEADY_GAP_MS;
}

/** Offsets from the first send of the first `n` sends: 0, 2, 4, 8, 16, 1016, 2016, … */
export function sendOffsets(n: number): number[] {
  const out: number[] = [];
  let t = 0;
  for (let sq = 0; sq < n; sq++) {
    if (sq > 0) t += gapBefore(sq);
    out.push(t);
  }
  return out;
}

export interface Send {
  stNum: number;
  sqNum: number;
}

/** When the current frame goes out next and with which counters; the caller owns the clock. */
export class Retransmitter {
  private stNum = 0;
  private sqNum = 0;
  private dueAt: number | undefined;

  /** Time of the next send, or undefined when nothing was requested yet. */
  get nextAt(): number | undefined {
    return this.dueAt;
  }

  /** A new or re-sent frame: new stNum, sqNum 0, due now. */
  restart(now: number): void {
    this.stNum = (this.stNum + 1) & 0xffff;
    this.sqNum = 0;
    this.dueAt = now;
  }

  /** Stops sending (e.g. the connector may not send without a key). */
  stop(): void {
    this.dueAt = undefined;
  }

  /** The send due at `now`, if any; schedules the following one. */
  take(now: number): Send | undefined {
    if (this.dueAt === undefined || now < this.dueAt) return undefined;
    const send = { stNum: this.stNum, sqNum: this.sqNum };
    this.sqNum = (this.sqNum + 1) & 0xffff;
    // Counted from the actual send, as the library sleeps between sends: a late timer never bursts.
    this.dueAt = now + gapBefore(this.sqNum);
    return send;
  }
}
