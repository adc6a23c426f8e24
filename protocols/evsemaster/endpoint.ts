// Which host speaks for a serial. The serial is the only identity in a datagram (no signature, §2),
// so the bridge pins each charger to an IP address: while a session is up or a login pending, to
// the address it runs with; for good, to the configured `address` or the one it was first logged
// in from. Anyone else on the LAN could otherwise redirect the PIN-carrying traffic to itself,
// drop the session with a forged 0x0155, or lock the login out.

export interface Endpoint {
  address: string;
  port: number;
}

export interface AddressPin {
  /** The configured `address`: the only one ever accepted. */
  fixed?: string | undefined;
  /** Learnt at an earlier login (kept in the state dir). */
  learnt?: string | undefined;
  /** How long the pinned address must have been silent before a beacon from another may take over. */
  changeAfterMs: number;
  /** A new address was trusted (at a login): the caller keeps it across restarts. */
  onTrust?(address: string): void;
}

export type Admission = { ok: true; moved?: { from: string; to: string } } | { ok: false };

/** IPv4 sources arrive as `::ffff:a.b.c.d` on a dual-stack socket. */
function plain(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

export class EndpointGuard {
  /** Where datagrams for this serial are sent: the source of the beacon it was learnt from. */
  current: Endpoint | undefined;
  /** Datagrams dropped because they came from an address other than the pinned one. */
  dropped = 0;
  private trusted: string | undefined;
  /** What the caller keeps across restarts. */
  private learnt: string | undefined;
  private readonly fixed: boolean;
  /** Last datagram from the trusted address (the bridge's start counts: a restart opens no window). */
  private trustedRxAt: number;

  constructor(private readonly pin: AddressPin = { changeAfterMs: 0 }, now = 0) {
    this.fixed = pin.fixed !== undefined;
    this.learnt = pin.learnt;
    this.trusted = pin.fixed ?? pin.learnt;
    this.trustedRxAt = now;
  }

  /**
   * Decides whether a datagram counts, and learns from it. `pinned`: logged in or a login pending.
   * The IP is (re)learnt only from a beacon while not pinned; a new source port from the same IP
   * is followed at any time, since the charger's port is not fixed (§1) and only that host sends
   * from its IP. Another IP than the trusted one is refused, unless it beacons after the trusted
   * one has been silent for `changeAfterMs` (never with a configured address): then the charger
   * has moved, which the caller logs as a warning.
   */
  admit(from: Endpoint, beacon: boolean, pinned: boolean, now = 0): Admission {
    const address = plain(from.address);
    let moved: { from: string; to: string } | undefined;
    if (this.trusted !== undefined) {
      if (address === this.trusted) this.trustedRxAt = now;
      else if (this.fixed || !beacon || pinned || now - this.trustedRxAt < this.pin.changeAfterMs) {
        this.dropped++;
        return { ok: false };
      } else {
        moved = { from: this.trusted, to: address };
        this.trusted = address;
        this.trustedRxAt = now;
      }
    }
    const cur = this.current;
    if (pinned && cur && address !== plain(cur.address)) {
      this.dropped++;
      return { ok: false };
    }
    if (cur && address === plain(cur.address)) {
      if (from.port !== cur.port) this.current = { ...from };
    } else if (beacon && (!pinned || !cur)) {
      this.current = { ...from };
    }
    return moved ? { ok: true, moved } : { ok: true };
  }

  /** A login succeeded at the current address: from now on it is the one the charger is pinned to. */
  trust(): void {
    const cur = this.current;
    if (!cur || this.fixed) return;
    const address = plain(cur.address);
    if (this.trusted === address && this.learnt === address) return;
    this.trusted = address;
    this.learnt = address;
    this.pin.onTrust?.(address);
  }

  /** True when requests go to the address the charger is pinned to (configured, or logged in from before). */
  get atTrusted(): boolean {
    return this.trusted !== undefined && this.current !== undefined && plain(this.current.address) === this.trusted;
  }

  /** True when `from` is the host requests currently go to: only its replies answer them. */
  isPeer(from: Endpoint): boolean {
    return this.current !== undefined && plain(this.current.address) === plain(from.address);
  }

  get text(): string | null {
    return this.current ? `${this.current.address}:${this.current.port}` : null;
  }
}
