// Outgoing links that come back by themselves: dial, hand the link over, and when it ends (or the
// dial fails) wait with exponential back-off and jitter, then dial again. A link that closes at
// once does not reset the back-off, so a peer that accepts and drops every connection sees a
// slowing trickle, never a storm.
import { errorMessage } from "./errors.ts";
import type { CloseInfo, Link } from "./link.ts";
import type { Logger } from "./log.ts";

export interface Backoff {
  minMs: number;
  maxMs: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** ± this fraction of each delay, so many dialers do not retry in step (default 0.2). */
  jitter?: number;
  /** A link that stayed up this long resets the back-off to `minMs` (default 10 s). */
  stableMs?: number;
}

export type DialerState = { state: "connecting"; attempt: number } | { state: "connected"; remote: string } | { state: "waiting"; retryMs: number; error: string };

export interface DialerOptions {
  backoff: Backoff;
  log: Logger;
  /** Names the target in logs, e.g. "PSU 192.168.11.1:502". */
  what: string;
  onState?(s: DialerState): void;
  /** For tests: the clock and the random source. */
  now?: () => number;
  random?: () => number;
}

export interface Dialer {
  stop(): Promise<void>;
  readonly attempts: number;
}

/** `session` runs for each link and resolves when it is done with it (the link is closed after). */
export function keepDialing(dial: () => Promise<Link>, session: (link: Link) => Promise<unknown>, opts: DialerOptions): Dialer {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const b = { factor: 2, jitter: 0.2, stableMs: 10_000, ...opts.backoff };
  let stopped = false;
  let attempts = 0;
  let current: Link | undefined;
  let wake: (() => void) | undefined;
  let delay = b.minMs;
  let failingSince: number | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  const next = (): number => {
    const spread = delay * b.jitter * (2 * random() - 1);
    const ms = Math.max(0, Math.round(delay + spread));
    delay = Math.min(b.maxMs, delay * b.factor);
    return ms;
  };

  const loop = async () => {
    while (!stopped) {
      attempts++;
      opts.onState?.({ state: "connecting", attempt: attempts });
      let link: Link;
      try {
        link = await dial();
      } catch (err) {
        if (stopped) break;
        const retryMs = next();
        // Loud once per outage, quiet while it lasts.
        if (failingSince === undefined) {
          failingSince = now();
          opts.log.warn(`${opts.what}: cannot connect, will retry`, { error: errorMessage(err), retry_ms: retryMs });
        } else {
          opts.log.debug(`${opts.what}: still cannot connect`, { error: errorMessage(err), retry_ms: retryMs });
        }
        opts.onState?.({ state: "waiting", retryMs, error: errorMessage(err) });
        await sleep(retryMs);
        continue;
      }
      if (stopped) {
        link.close("dialer stopped");
        break;
      }
      current = link;
      const since = now();
      if (failingSince !== undefined) opts.log.info(`${opts.what}: connected again`, { down_s: Math.round((since - failingSince) / 1000) });
      failingSince = undefined;
      opts.onState?.({ state: "connected", remote: link.remote });
      let info: CloseInfo;
      try {
        await session(link);
      } catch (err) {
        opts.log.warn(`${opts.what}: session failed`, { error: errorMessage(err) });
      } finally {
        link.close("session ended");
        info = await link.closed;
        current = undefined;
      }
      if (stopped) break;
      if (now() - since >= b.stableMs) delay = b.minMs;
      const retryMs = next();
      failingSince = now();
      opts.log.warn(`${opts.what}: connection closed, will reconnect`, { reason: info.reason, retry_ms: retryMs });
      opts.onState?.({ state: "waiting", retryMs, error: info.reason });
      await sleep(retryMs);
    }
  };
  const running = loop();

  return {
    get attempts() {
      return attempts;
    },
    stop: async () => {
      stopped = true;
      current?.close("dialer stopped");
      wake?.();
      await running;
    },
  };
}
