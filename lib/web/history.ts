// The last hour of each charger's power, for the status page's sparklines: one bounded ring of
// one-minute averages per charger, fed by the hub's publishes. Power is a level that holds until it
// changes (the hub publishes on change only), so minutes without a publish carry the last value on.

export const SLOT_MS = 60_000;
export const SLOTS = 60;

/** The newest `values.length` slots, oldest first, ending at absolute slot `end`; null where power was unknown. */
export interface PowerSeries {
  end: number;
  values: (number | null)[];
}

interface Track {
  /** Absolute slot number (time / SLOT_MS) of the newest slot. */
  head: number;
  /** Averages by `slot % SLOTS`; NaN where unknown. */
  ring: Float64Array;
  sum: number;
  count: number;
  /** The last value reported, carried into later slots. */
  last: number;
}

function round(v: number): number | null {
  return Number.isNaN(v) ? null : Math.round(v);
}

export class PowerHistory {
  private tracks = new Map<string, Track>();

  constructor(private now: () => number = Date.now) {}

  record(id: string, powerW: number | null): void {
    const slot = Math.floor(this.now() / SLOT_MS);
    let t = this.tracks.get(id);
    if (!t) {
      t = { head: slot, ring: new Float64Array(SLOTS).fill(NaN), sum: 0, count: 0, last: NaN };
      this.tracks.set(id, t);
    }
    this.advance(t, slot);
    const v = powerW ?? NaN;
    if (!Number.isNaN(v)) {
      t.sum += v;
      t.count++;
      t.ring[t.head % SLOTS] = t.sum / t.count;
    } else if (t.count === 0) {
      t.ring[t.head % SLOTS] = NaN;
    }
    t.last = v;
  }

  /** Moves the track to `slot`: slots passed in between hold the last value. */
  private advance(t: Track, slot: number): void {
    if (slot <= t.head) return;
    for (let s = Math.max(t.head + 1, slot - SLOTS + 1); s <= slot; s++) t.ring[s % SLOTS] = t.last;
    t.head = slot;
    // The level in force when the minute began counts as its first sample.
    t.sum = Number.isNaN(t.last) ? 0 : t.last;
    t.count = Number.isNaN(t.last) ? 0 : 1;
  }

  /** The whole hour up to now (`count` = SLOTS) or only its newest `count` slots. */
  series(id: string, count = SLOTS): PowerSeries | undefined {
    const t = this.tracks.get(id);
    if (!t) return undefined;
    this.advance(t, Math.floor(this.now() / SLOT_MS));
    const n = Math.min(Math.max(count, 1), SLOTS);
    const values: (number | null)[] = [];
    for (let s = t.head - n + 1; s <= t.head; s++) values.push(round(t.ring[((s % SLOTS) + SLOTS) % SLOTS] ?? NaN));
    return { end: t.head, values };
  }

  forget(id: string): void {
    this.tracks.delete(id);
  }

  get size(): number {
    return this.tracks.size;
  }
}
