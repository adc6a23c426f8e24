// The session's contract with the listener and the device: its options, how it sends, the events
// it emits, and which waiting request a reply answers.
import type { AppDatagram, EvseMessage } from "./codec.ts";
import type { Endpoint } from "./endpoint.ts";
import type { ConfigFetch } from "./fetch-config.ts";

export interface SessionTiming {
  offlineAfterMs: number;
  sessionTimeoutMs: number;
  loginTimeoutMs: number;
  replyTimeoutMs: number;
  configRefreshMs: number;
  reloginMinMs: number;
  reloginMaxMs: number;
}

export interface SessionOptions {
  serial: string;
  /** Never log in: the charger is left to the OEM app. */
  disabled: boolean;
  /** default_password may go to any serial that beacons, not only at its trusted address. */
  discoverLogin: boolean;
  timing: SessionTiming;
}

/** How datagrams leave: through the link of the charger's current endpoint. */
export type SendDatagram = (to: Endpoint, d: AppDatagram) => Promise<void>;

/** What the session tells its device about the link and the login. */
export interface LinkState {
  online: boolean;
  loggedIn: boolean;
  loginError: string | null;
  hasPin: boolean;
  endpoint: string | null;
  foreignDropped: number;
}

export type SessionEvent =
  /** `fresh`: a session began or ended, so status and session data from before decide nothing. */
  | { kind: "state"; state: LinkState; fresh: boolean }
  /** A datagram from the charger's address, in order. */
  | { kind: "message"; message: EvseMessage }
  | { kind: "config"; fetch: ConfigFetch };

/** Config answers echo the action (1 SET, 2 GET); a unit echoing something else answers either kind. */
export function replyKey(m: EvseMessage): string | string[] | undefined {
  switch (m.type) {
    case "status": return "status";
    case "chargeStartResponse": return "start";
    case "chargeStopResponse": return "stop";
    case "version": return "version";
    case "systemTime": return "systemTime";
    case "setting":
    case "name": {
      const key = m.type === "setting" ? m.setting : "name";
      return m.action === 1 || m.action === 2 ? `${key}:${m.action}` : [`${key}:1`, `${key}:2`];
    }
    default: return undefined;
  }
}
