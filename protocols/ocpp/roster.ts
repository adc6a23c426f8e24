// Which charge points the bridge remembers: those that completed a BootNotification, kept in the
// state file with when they were last seen. One that never booted is forgotten as soon as it
// leaves; one gone longer than forget_after_s is forgotten then. Configured identities never are.
// Forgotten ones no longer count towards max_charge_points, so a flood of made-up identities
// cannot lock real chargers out.
import type { OcppSection } from "./config.ts";
import type { OcppStateStore } from "./persist.ts";

export class Roster {
  private readonly configured: Set<string>;

  constructor(
    private readonly cfg: OcppSection,
    private readonly store: Pick<OcppStateStore, "knownChargePoints" | "rememberChargePoint" | "forgetChargePoint">,
    private readonly live: ReadonlyMap<string, unknown>,
    private readonly now: () => number = Date.now,
  ) {
    this.configured = new Set([...Object.keys(cfg.chargers), ...cfg.allowed, ...cfg.expected_charge_points]);
  }

  /** Remembered identities → last seen; what the identity book counts and protects. */
  get remembered(): ReadonlyMap<string, number> {
    return this.store.knownChargePoints();
  }

  isConfigured(identity: string): boolean {
    return this.configured.has(identity);
  }

  booted(identity: string): void {
    this.store.rememberChargePoint(identity, this.now());
  }

  /** Its session ended; true when it is to be forgotten at once (it never booted and is not configured). */
  left(identity: string): boolean {
    if (this.remembered.has(identity)) {
      this.store.rememberChargePoint(identity, this.now());
      return false;
    }
    return !this.configured.has(identity);
  }

  /**
   * Identities gone longer than forget_after_s, dropped from the book: the caller forgets them.
   * Live ones get their time refreshed now and then, so a bridge that stopped without a clean
   * shutdown does not forget them on its next start.
   */
  sweep(): string[] {
    const afterMs = this.cfg.forget_after_s * 1000;
    if (afterMs <= 0) return [];
    const now = this.now();
    const gone: string[] = [];
    for (const [id, seen] of this.remembered) {
      if (this.live.has(id)) {
        if (now - seen > afterMs / 2) this.store.rememberChargePoint(id, now);
      } else if (now - seen >= afterMs && !this.configured.has(id)) {
        gone.push(id);
      }
    }
    for (const id of gone) this.store.forgetChargePoint(id);
    return gone;
  }

  /** The bridge stops: live charge points were seen until now. */
  stopping(): void {
    for (const id of this.live.keys()) if (this.remembered.has(id)) this.store.rememberChargePoint(id, this.now());
  }
}
