// The status page's live updates as Server-Sent Events. Changes are coalesced into rounds: each round
// sends one event holding every charger that changed since the last one, however many updates the
// hub made meanwhile. Rounds come every `intervalMs`, spaced further when they are large (at most
// `bytesPerS` per page), so a thousand busy chargers cost a page a bounded stream. A round is
// serialized and encoded once for every page that is in step; a page whose stream has no room is
// skipped (it keeps its own list of changes, bounded by the number of chargers) and dropped once
// stuck for `stallMs`. The number of pages is bounded too.
import type { Hub } from "../hub.ts";
import type { Logger } from "../log.ts";
import type { MqttLink } from "../mqtt.ts";
import type { PowerHistory } from "./history.ts";
import { allChargers, type BridgeFacts, bridgeSummary, pageCharger } from "./view.ts";

export interface FeedOptions {
  maxClients: number;
  /** At most one update event per client this often. */
  intervalMs: number;
  /** Large rounds are spaced so a page gets at most this many bytes a second (snapshots aside). */
  bytesPerS: number;
  /** A `ping` event this often when nothing else is sent: proxies keep the stream open, the page sees it alive. */
  heartbeatMs: number;
  /** The browser's reconnect delay after a lost stream. */
  retryMs: number;
  /** A client whose stream has had no room for this long is dropped. */
  stallMs: number;
}

export const FEED_DEFAULTS: FeedOptions = { maxClients: 16, intervalMs: 500, bytesPerS: 256 * 1024, heartbeatMs: 15_000, retryMs: 2000, stallMs: 30_000 };

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Undefined while the client got every round; else the changes it still has to get. */
  behind: Set<string> | undefined;
  lastWrite: number;
  stalledSince: number | undefined;
}

const encoder = new TextEncoder();

function event(name: string, data: string): Uint8Array {
  return encoder.encode(`event: ${name}\ndata: ${data}\n\n`);
}

const PING = event("ping", "{}");

export class LiveFeed {
  private clients = new Set<Client>();
  /** Chargers changed since the last round. */
  private pending = new Set<string>();
  private bridgeKey = "";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unobserve: () => void;
  /** Update events sent (shared ones counted once per client), for tests and the bench. */
  sent = 0;

  constructor(
    private hub: Hub,
    private mqtt: MqttLink,
    private facts: BridgeFacts,
    private history: PowerHistory,
    private log: Logger,
    private opts: FeedOptions = FEED_DEFAULTS,
    private now: () => number = Date.now,
  ) {
    this.unobserve = hub.observe((id) => {
      if (this.clients.size === 0) return;
      this.pending.add(id);
      for (const c of this.clients) c.behind?.add(id);
    });
  }

  get size(): number {
    return this.clients.size;
  }

  /** The event stream for one page, or a 503 when the bound is reached. */
  open(signal?: AbortSignal): Response {
    if (this.clients.size >= this.opts.maxClients) {
      return new Response(`too many status pages open (at most ${this.opts.maxClients}); try again later\n`, {
        status: 503,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "10" },
      });
    }
    let client: Client | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        // In step from here: the snapshot holds everything, later rounds what changed after it.
        const c: Client = { controller, behind: undefined, lastWrite: this.now(), stalledSince: undefined };
        client = c;
        if (this.clients.size === 0) this.pending.clear();
        this.clients.add(c);
        const summary = bridgeSummary(this.facts, this.hub, this.mqtt, this.now());
        controller.enqueue(encoder.encode(`retry: ${this.opts.retryMs}\n\n`));
        controller.enqueue(event("snapshot", JSON.stringify({ bridge: summary, chargers: allChargers(this.hub, this.history) })));
        this.schedule(this.opts.intervalMs);
      },
      cancel: () => {
        if (client) this.drop(client);
      },
    }, { highWaterMark: 8 });
    signal?.addEventListener("abort", () => {
      if (client) this.drop(client, true);
    });
    return new Response(body, {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        // Reverse proxies (nginx) would otherwise buffer the stream.
        "X-Accel-Buffering": "no",
      },
    });
  }

  private schedule(ms: number): void {
    if (this.timer || this.clients.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule(this.tick());
    }, ms);
  }

  private drop(c: Client, close = false): void {
    if (!this.clients.delete(c)) return;
    if (close) {
      try {
        c.controller.close();
      } catch {
        // already closed or errored
      }
    }
    if (this.clients.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private updateEvent(summary: unknown, ids: Iterable<string>, cache: Map<string, string | null>): Uint8Array {
    const changed: string[] = [];
    const removed: string[] = [];
    for (const id of ids) {
      let s = cache.get(id);
      if (s === undefined) {
        const v = this.hub.view(id);
        // Only the current minute of the history: the page keeps the rest.
        s = v ? JSON.stringify(pageCharger(v, this.history.series(id, 1))) : null;
        cache.set(id, s);
      }
      if (s === null) removed.push(id);
      else changed.push(s);
    }
    return event("update", `{"bridge":${JSON.stringify(summary)},"chargers":[${changed.join(",")}],"removed":${JSON.stringify(removed)}}`);
  }

  /** One round; returns the delay until the next one. */
  tick(): number {
    if (this.clients.size === 0) return this.opts.intervalMs;
    const now = this.now();
    const summary = bridgeSummary(this.facts, this.hub, this.mqtt, now);
    const bridgeKey = JSON.stringify({ ...summary, uptime_s: 0 });
    const news = this.pending.size > 0 || bridgeKey !== this.bridgeKey;
    this.bridgeKey = bridgeKey;
    // Each charger is serialized at most once per round, whatever the number of clients.
    const cache = new Map<string, string | null>();
    let shared: Uint8Array | undefined;
    let largest = 0;
    for (const c of [...this.clients]) {
      if ((c.controller.desiredSize ?? 0) <= 0) {
        c.behind ??= new Set(this.pending);
        c.stalledSince ??= now;
        if (now - c.stalledSince > this.opts.stallMs) {
          this.log.info("status page not reading its event stream; dropping it");
          this.drop(c, true);
        }
        continue;
      }
      c.stalledSince = undefined;
      let chunk: Uint8Array;
      if (c.behind) {
        // Catching up: what it missed, the bridge as it is now.
        chunk = this.updateEvent(summary, c.behind, cache);
        c.behind = undefined;
      } else if (news) {
        chunk = shared ??= this.updateEvent(summary, this.pending, cache);
      } else {
        if (now - c.lastWrite >= this.opts.heartbeatMs) this.write(c, PING, now);
        continue;
      }
      largest = Math.max(largest, chunk.byteLength);
      this.write(c, chunk, now);
      this.sent++;
    }
    this.pending.clear();
    return Math.max(this.opts.intervalMs, (largest / this.opts.bytesPerS) * 1000);
  }

  private write(c: Client, chunk: Uint8Array, now: number): void {
    try {
      c.controller.enqueue(chunk);
      c.lastWrite = now;
    } catch {
      this.drop(c);
    }
  }

  /** Ends every stream (the bridge is stopping). */
  close(): void {
    this.unobserve();
    for (const c of [...this.clients]) this.drop(c, true);
  }
}
