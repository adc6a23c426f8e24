// Every transport check, by name, for the bun tests and for the Deno/Node script runner.
import type { Sockets } from "../../../lib/sockets.ts";
import type { TestCerts } from "../certs.ts";
import { httpServe } from "./http.ts";
import { serialBadBaud, serialLine } from "./serial.ts";
import { mutualTls, tcpBackPressure, tcpRefused, tlsVerification } from "./tcp.ts";
import { udpPeers, udpSocket } from "./udp.ts";
import { wsDecisions, wsLimits, wsPingDrop } from "./ws.ts";

export type TransportCheck = (s: Sockets, certs: TestCerts) => Promise<void>;

export const CHECKS: Record<string, TransportCheck> = {
  "tcp: both ways, a reader that stops holds the writer back": (s) => tcpBackPressure(s),
  "tcp: a refused dial names the target": (s) => tcpRefused(s),
  "tls: chain and name verification": tlsVerification,
  "tls: mutual (client certificates)": mutualTls,
  "udp: datagrams with their source; a vanished peer fails no other send": (s) => udpSocket(s),
  "udp: one link per peer (lib/udp.ts)": () => udpPeers(),
  "websocket: decisions, refusals, messages, close codes": (s) => wsDecisions(s),
  "websocket: payload, unread messages, unread bytes": (s) => wsLimits(s),
  "websocket: unanswered pings drop the peer": (s) => wsPingDrop(s),
  "http: bodies, errors, HTTPS, a streamed response": httpServe,
  "serial: both ways, reopen, unplug": (s) => serialLine(s),
  "serial: an unknown baud rate is refused": (s) => serialBadBaud(s),
};
