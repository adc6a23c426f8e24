// One charger as the hub keeps it (its entry), the events the hub's sink publishes, and the handle
// a protocol writes through: apart from hub.ts so that file keeps to the registry and the layout.
import type { CommandQueue } from "./hub-commands.ts";
import type { NormalizedState } from "./normalized.ts";
import type { ChargerDriver, ChargerHandle, ChargerMeta } from "./protocol.ts";

export interface Entry {
  id: string;
  owner: string;
  meta: ChargerMeta;
  driver: ChargerDriver | undefined;
  state: NormalizedState;
  /**
   * Whether `state` has been queued for publishing. The content last published is always the
   * current state's (timestamps aside): it is recomputed when needed rather than kept as a string
   * per charger.
   */
  published: boolean;
  /** Made on the first detail: most chargers have none. */
  details: Map<string, string> | undefined;
  /** The meta whose discovery topics were published (they are derived from it again to clear them). */
  discovered: ChargerMeta | undefined;
  generation: number;
  /** Made on the first command: most chargers never get one, and a queue holds two streams. */
  commands: CommandQueue | undefined;
}

/** What flows through the hub's sink: everything the normalized layout publishes. */
export type HubEvent =
  | { kind: "state"; entry: Entry }
  | { kind: "availability"; entry: Entry }
  | { kind: "discovery"; entry: Entry }
  | { kind: "detail"; entry: Entry; sub: string; payload: string }
  | { kind: "reply"; id: string; body: Record<string, unknown> }
  /** Empty retained payloads for everything the entry ever published. */
  | { kind: "clear"; entry: Entry }
  /** Written last by `stop()`: once it is through, everything before it is with MQTT. */
  | { kind: "flush" };

const TIMESTAMPS = new Set(["updated_at", "last_seen"]);

function contentKey(s: NormalizedState): string {
  return JSON.stringify(s, (k, v) => (TIMESTAMPS.has(k) ? undefined : v));
}

export interface HandleOps {
  send(ev: HubEvent): Promise<void>;
  goOffline(e: Entry): void;
}

/**
 * A charger's handle, a class rather than closures: one is held per connected charger. A replaced
 * session's handle goes dead (its generation is no longer the entry's), so it cannot touch the
 * newer one's state.
 */
export class HubHandle implements ChargerHandle {
  constructor(private readonly ops: HandleOps, private readonly entry: Entry, private readonly generation: number) {}

  get id(): string {
    return this.entry.id;
  }

  private get live(): boolean {
    return this.entry.generation === this.generation;
  }

  update(partial: Partial<NormalizedState>): Promise<void> {
    if (!this.live) return Promise.resolve();
    const entry = this.entry;
    const before = entry.published ? contentKey(entry.state) : undefined;
    entry.state = { ...entry.state, ...partial, protocol: entry.meta.protocol, updated_at: new Date().toISOString() };
    if (contentKey(entry.state) === before) return Promise.resolve();
    // Marked now, so a burst of identical updates queues one publish, not one each.
    entry.published = true;
    return this.ops.send({ kind: "state", entry });
  }

  seen(): void {
    if (this.live) this.entry.state.last_seen = new Date().toISOString();
  }

  detail(sub: string, payload: string): Promise<void> {
    if (!this.live || this.entry.details?.get(sub) === payload) return Promise.resolve();
    (this.entry.details ??= new Map()).set(sub, payload);
    return this.ops.send({ kind: "detail", entry: this.entry, sub, payload });
  }

  detach(): void {
    if (this.live && this.entry.driver) this.ops.goOffline(this.entry);
  }
}

