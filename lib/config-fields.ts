// Config fields that several sections share, validated the same way everywhere.
import { z } from "zod";
import { parseHostPort } from "./link.ts";

/**
 * Parse options for schemas parsed once or twice in a process (config sections): zod's fast path
 * for objects generates and compiles a parser with `new Function` on an object's first parse, which
 * costs more than the parse it speeds up (~10 ms of the start-up for the config sections).
 */
export const PARSE_ONCE = { jitless: true } as const;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** An IPv4 address, an IPv6 address (bare), or a host name. */
export function isHost(h: string): boolean {
  // An IPv6 address has at least two colons ("::1"); "1.2.3.4:502" is a host with a port, not one.
  return IPV4.test(h) || ((h.match(/:/g)?.length ?? 0) >= 2 && IPV6.test(h)) || HOSTNAME.test(h);
}

/** `host:port` with an explicit port (IPv6 in brackets), as a listen or target address. */
export function hostPort(example: string) {
  return z.string().refine((s) => {
    if (!/:\d+$/.test(s.trim())) return false;
    try {
      return isHost(parseHostPort(s).host);
    } catch {
      return false;
    }
  }, `expected host:port, IPv6 in brackets (e.g. ${example})`);
}

/** A bind or target host without a port. */
export const host = z.string().refine(isHost, "expected an IP address or a host name (no port)");
