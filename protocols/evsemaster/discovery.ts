// The cap on unconfigured chargers. Any LAN host can beacon with made-up serials, and each new
// serial becomes a device in the hub and in Home Assistant, so discovery must be bounded.

import type { Logger } from "../../lib/log.ts";

/** A refusal this long after the previous one belongs to the same burst and is not logged again. */
const BURST_QUIET_MS = 60_000;

export class DiscoveryLimit {
  private count = 0;
  /** Datagrams with a new serial ignored because the cap was reached (for the stop log). */
  refused = 0;
  private quietUntil = 0;

  constructor(private readonly max: number, private readonly log: Logger) {}

  /** Counts a newly discovered charger, or refuses it (warning once per burst of new serials). */
  admit(serial: string, now: number): boolean {
    if (this.count < this.max) {
      this.count++;
      return true;
    }
    this.refused++;
    // One line per burst, not per datagram: a flood of forged serials must not flood the log.
    if (now >= this.quietUntil) {
      this.log.warn("max_discovered reached: ignoring chargers with new serials (configure them to add them)", {
        max_discovered: this.max,
        serial,
      });
    }
    this.quietUntil = now + BURST_QUIET_MS;
    return false;
  }

  /** A discovered charger was removed: its place is free again. */
  release(): void {
    if (this.count > 0) this.count--;
  }
}
