// The status page's live updates as Server-Sent Events. Changes are coalesced: each client gets at
// most one event per interval holding every charger that changed since its last one, however many
// updates the hub made meanwhile, so a thousand busy chargers cost a client a few events a second.
// A client that does not read is skipped (its changes wait, bounded by the number of chargers) and
// dropped once it has been stuck for a while; the number of clients is bounded too.
import type { Hub } from "../hub.ts";
import type { Logger } from "../log.ts";
import type { MqttLink } from "../mqtt.ts";
import type { PowerHistory } from "./history.ts";
import { allChargers, type BridgeFacts, bridgeSummary, pageCharger } from "./view.ts";

export interface FeedOptions {
  maxClients: number;
  /** At most one update event per client this often. */
  intervalMs: number;
  /** A `ping` event this often when nothing else is sent: proxies keep the stream open, the page sees it alive. */
  heartbeatMs: number;
  /** The browser's reconnect delay after a lost stream. */
  retryMs: number;
  /** A client whose stream has had no room for this long is dropped. */
  stallMs: number;
}

export const FEED_DEFAULTS: FeedOptions = { maxClients: 16, intervalMs: 500, heartbeatMs: 15_000, retryMs: 2000, stallMs: 30_000 };

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  dirty: Set<string>;
  /** The bridge summary last sent, without its uptime (which changes every second). */
  bridgeKey: string;
  lastWrite: number;
  stalledSince: number | undefined;
}

const encoder = new TextEncoder();

function event(name: string, data: string): Uint8Array {
  return encoder.encode(`event: ${name}\ndata: ${data}\n\n`);
}

export class LiveFeed {
  private clients = new Set<Client>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private unobserve: () => void;
  /** Events sent, for tests and the bench. */
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
      for (const c of this.clients) c.dirty.add(id);
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
        const c: Client = { controller, dirty: new Set(), bridgeKey: "", lastWrite: this.now(), stalledSince: undefined };
        client = c;
        this.clients.add(c);
        const summary = bridgeSummary(this.facts, this.hub, this.mqtt, this.now());
        c.bridgeKey = JSON.stringify({ ...summary, uptime_s: 0 });
        controller.enqueue(encoder.encode(`retry: ${this.opts.retryMs}\n\n`));
        controller.enqueue(event("snapshot", JSON.stringify({ bridge: summary, chargers: allChargers(this.hub, this.history) })));
        this.sent++;
        this.timer ??= setInterval(() => this.tick(), this.opts.intervalMs);
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
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One round: every client with room gets its pending changes in one event. */
  tick(): void {
    if (this.clients.size === 0) return;
    const now = this.now();
    const summary = bridgeSummary(this.facts, this.hub, this.mqtt, now);
    const bridgeKey = JSON.stringify({ ...summary, uptime_s: 0 });
    // Each charger is serialized once per round, whatever the number of clients.
    const cache = new Map<string, string | null>();
    const charger = (id: string): string | null => {
      let s = cache.get(id);
      if (s === undefined) {
        const v = this.hub.view(id);
        // Only the current minute of the history: the page keeps the rest.
        s = v ? JSON.stringify(pageCharger(v, this.history.series(id, 1))) : null;
        cache.set(id, s);
      }
      return s;
    };
    for (const c of [...this.clients]) {
      if ((c.controller.desiredSize ?? 0) <= 0) {
        c.stalledSince ??= now;
        if (now - c.stalledSince > this.opts.stallMs) {
          this.log.info("status page not reading its event stream; dropping it");
          this.drop(c, true);
        }
        continue;
      }
      c.stalledSince = undefined;
      if (c.dirty.size === 0 && bridgeKey === c.bridgeKey) {
        if (now - c.lastWrite >= this.opts.heartbeatMs) this.write(c, event("ping", "{}"), now);
        continue;
      }
      const changed: string[] = [];
      const removed: string[] = [];
      for (const id of c.dirty) {
        const s = charger(id);
        if (s === null) removed.push(id);
        else changed.push(s);
      }
      c.dirty.clear();
      c.bridgeKey = bridgeKey;
      this.write(c, event("update", `{"bridge":${JSON.stringify(summary)},"chargers":[${changed.join(",")}],"removed":${JSON.stringify(removed)}}`), now);
      this.sent++;
    }
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
