// Request/response matching: the EVSE answers a command with `command − 0x8000` and no correlation id,
// so waiters queue per reply kind and the oldest gets the next matching reply.

import { CommandError } from "../../lib/errors.ts";

/** No reply of the awaited kind in time (other failures, such as a lost session, are plain CommandErrors). */
export class ReplyTimeoutError extends CommandError {
  override name = "ReplyTimeoutError";
}

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Pending {
  private waiters = new Map<string, Waiter[]>();

  wait<T>(key: string, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        resolve: (v) => resolve(v as T),
        reject,
        timer: setTimeout(() => {
          this.remove(key, w);
          reject(new ReplyTimeoutError(`timeout: no ${what} from the charger within ${timeoutMs / 1000} s`));
        }, timeoutMs),
      };
      const list = this.waiters.get(key) ?? [];
      list.push(w);
      this.waiters.set(key, list);
    });
  }

  /** Hands `value` to the oldest waiter for `key`; false when nobody waited (an unsolicited reply). */
  resolve(key: string, value: unknown): boolean {
    const w = this.waiters.get(key)?.shift();
    if (!w) return false;
    clearTimeout(w.timer);
    w.resolve(value);
    return true;
  }

  rejectKey(key: string, err: Error): void {
    for (const w of this.waiters.get(key) ?? []) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.delete(key);
  }

  rejectAll(err: Error): void {
    for (const key of [...this.waiters.keys()]) this.rejectKey(key, err);
  }

  private remove(key: string, w: Waiter): void {
    const list = this.waiters.get(key);
    if (list) this.waiters.set(key, list.filter((x) => x !== w));
  }
}
