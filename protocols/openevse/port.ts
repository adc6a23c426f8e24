// Where a controller is: a serial device opened raw at 115200 8N1 (spec §1), or `tcp://host:port`
// for a serial-over-TCP bridge (ser2net, ESP-link), which carries the same bytes.
import { isHost } from "../../lib/config-fields.ts";
import { type Link, parseHostPort } from "../../lib/link.ts";
import { openSerial } from "../../lib/serial.ts";
import { dialTcp } from "../../lib/tcp.ts";
import type { Parsed } from "./gateway-commands.ts";

/** Both sides hard-code it (§1). */
export const RAPI_BAUD = 115200;

export type PortSpec = { kind: "serial"; path: string } | { kind: "tcp"; host: string; port: number };

export function parsePort(text: string): Parsed<PortSpec> {
  const s = text.trim();
  if (s.startsWith("tcp://")) {
    const rest = s.slice("tcp://".length);
    try {
      const hp = parseHostPort(rest);
      if (!rest.startsWith(":") && /:\d+$/.test(rest) && hp.port > 0 && isHost(hp.host)) return { ok: true, value: { kind: "tcp", host: hp.host, port: hp.port } };
    } catch {
      // reported below
    }
    return { ok: false, error: `expected tcp://host:port (e.g. tcp://192.168.1.20:2000), got "${text}"` };
  }
  if (/^\/[^\s]*[^/\s]$/.test(s) || /^COM\d{1,3}$/i.test(s)) return { ok: true, value: { kind: "serial", path: s } };
  return { ok: false, error: `expected a serial device path (/dev/ttyUSB0, /dev/serial/by-id/…, COM3) or tcp://host:port, got "${text}"` };
}

/** For logs: the device path or `tcp://host:port`. */
export function describePort(p: PortSpec): string {
  return p.kind === "serial" ? p.path : `tcp://${p.host.includes(":") ? `[${p.host}]` : p.host}:${p.port}`;
}

/** Opens the line; rejects with a LinkError naming the device or the peer. */
export function openPort(p: PortSpec): Promise<Link> {
  return p.kind === "serial" ? openSerial({ path: p.path, baud: RAPI_BAUD }) : dialTcp({ host: p.host, port: p.port, timeoutMs: 5000 });
}
