// The small objects an EVSEMaster session hands to streams and its exchange: classes shared by
// every session rather than closures made per charger.
import type { ExchangeOptions } from "../../lib/exchange.ts";
import type { AppMessage, EvseMessage } from "./codec.ts";
import { type LinkState, replyKey, type SessionEvent } from "./session-types.ts";

/** What the events' source needs of its session. */
interface EventsOwner {
  controller: ReadableStreamDefaultController<SessionEvent> | undefined;
  drain(): void;
  close(reason: string): void;
}

/** What the exchange needs of its session. */
interface Transmitter {
  transmit(m: AppMessage): Promise<void>;
}

/** Field by field, in place of comparing JSON texts (no string kept per charger). */
export function sameLinkState(a: LinkState, b: LinkState): boolean {
  return a.online === b.online && a.loggedIn === b.loggedIn && a.loginError === b.loginError && a.hasPin === b.hasPin && a.endpoint === b.endpoint && a.foreignDropped === b.foreignDropped;
}

/** The session's events stream's source: one small object rather than closures per charger. */
export class EventSource implements UnderlyingDefaultSource<SessionEvent> {
  constructor(private readonly s: EventsOwner) {}

  start(c: ReadableStreamDefaultController<SessionEvent>): void {
    this.s.controller = c;
  }

  pull(): void {
    this.s.drain();
  }

  cancel(): void {
    this.s.close("events cancelled");
  }
}

/** How a login's exchange sends requests and matches replies (by the reply's kind). */
export class EvseWire implements ExchangeOptions<AppMessage, EvseMessage, string> {
  readonly maxInFlight = 16;
  readonly maxQueued = 64;

  constructor(private readonly s: Transmitter, readonly timeoutMs: number) {}

  send(m: AppMessage): Promise<void> {
    return this.s.transmit(m);
  }

  keyOf(m: EvseMessage): string | readonly string[] | undefined {
    return replyKey(m);
  }
}
