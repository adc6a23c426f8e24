// Which host speaks for a serial. The serial is the only identity in a datagram (no signature, §2),
// so once a session is up or a login is pending the bridge pins the charger's IP address: anyone
// else on the LAN could otherwise redirect the PIN-carrying traffic to itself, drop the session with
// a forged 0x0155, or lock the login out.

export interface Endpoint {
  address: string;
  port: number;
}

export class EndpointGuard {
  /** Where datagrams for this serial are sent: the source of the beacon it was learnt from. */
  current: Endpoint | undefined;
  /** Datagrams dropped because they came from another IP address while the session was pinned. */
  dropped = 0;

  /**
   * Decides whether a datagram counts, and learns from it. `pinned`: logged in or a login pending.
   * The IP is (re)learnt only from a beacon (0x0001) while not pinned; a new source port from the
   * same IP is followed at any time, since the charger's port is not fixed (§1) and only that host
   * sends from its IP.
   */
  admit(from: Endpoint, beacon: boolean, pinned: boolean): boolean {
    const cur = this.current;
    if (pinned && cur && from.address !== cur.address) {
      this.dropped++;
      return false;
    }
    if (cur && from.address === cur.address) {
      if (from.port !== cur.port) this.current = { ...from };
    } else if (beacon && (!pinned || !cur)) {
      this.current = { ...from };
    }
    return true;
  }

  /** True when `from` is the host requests currently go to: only its replies answer them. */
  isPeer(from: Endpoint): boolean {
    return this.current !== undefined && this.current.address === from.address;
  }

  get text(): string | null {
    return this.current ? `${this.current.address}:${this.current.port}` : null;
  }
}
