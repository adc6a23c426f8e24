// The MQTT control packets the bridge's client sends and receives (MQTT 3.1.1 = protocol level 4,
// MQTT 5 = level 5), as plain values. Only what the bridge uses: no QoS 2 sending, no UNSUBSCRIBE,
// no AUTH, and no MQTT 5 properties beyond skipping those a broker sends.

export type Version = 4 | 5;
export type QoS = 0 | 1 | 2;

export const PACKET = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

export interface Connect {
  type: "connect";
  version: Version;
  clientId: string;
  /** Clean session (3.1.1) / clean start (5). */
  clean: boolean;
  /** Seconds; 0 = off. */
  keepalive: number;
  username?: string | undefined;
  password?: Uint8Array | undefined;
  will?: Will | undefined;
}

export interface Connack {
  type: "connack";
  sessionPresent: boolean;
  /** 3.1.1 return code or MQTT 5 reason code; 0 = accepted. */
  code: number;
}

export interface Publish {
  type: "publish";
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Packet identifier, present for QoS 1 and 2. */
  id?: number | undefined;
}

export interface Puback {
  type: "puback";
  id: number;
  /** MQTT 5 reason code (0 when the broker left it out, and always under 3.1.1). */
  code: number;
}

export interface Subscription {
  filter: string;
  qos: QoS;
  /** MQTT 5 only: our own publishes are not sent back to us. */
  noLocal?: boolean;
  /** MQTT 5 only: the broker keeps the retain flag on live messages. */
  retainAsPublished?: boolean;
  /** MQTT 5 only: 0 send retained on subscribe, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

export interface Subscribe {
  type: "subscribe";
  id: number;
  subscriptions: Subscription[];
}

export interface Suback {
  type: "suback";
  id: number;
  /** One per subscription: the granted QoS, or 0x80 and up for a refusal. */
  codes: number[];
}

export interface Pingreq {
  type: "pingreq";
}

export interface Pingresp {
  type: "pingresp";
}

export interface Disconnect {
  type: "disconnect";
  /** MQTT 5 reason code; 0 = normal. */
  code: number;
}

/** What the client writes. */
export type Outgoing = Connect | Publish | Puback | Subscribe | Pingreq | Disconnect;
/** What the client reads from a broker. */
export type Incoming = Connack | Publish | Puback | Suback | Pingresp | Disconnect;

/** A packet that could not be read: what was wrong, and where in the byte stream it started. */
export interface BadPacket {
  type: "bad";
  error: string;
  offset: number;
}

/** A refused CONNACK is a 3.1.1 return code, or an MQTT 5 reason code from 0x80 up. */
export const CONNACK_REASONS: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorised",
  0x80: "unspecified error",
  0x81: "malformed packet",
  0x82: "protocol error",
  0x83: "implementation specific error",
  0x84: "unsupported protocol version",
  0x85: "client identifier not valid",
  0x86: "bad user name or password",
  0x87: "not authorised",
  0x88: "server unavailable",
  0x89: "server busy",
  0x8a: "banned",
  0x8c: "bad authentication method",
  0x90: "topic name invalid",
  0x95: "packet too large",
  0x97: "quota exceeded",
  0x99: "payload format invalid",
  0x9a: "retain not supported",
  0x9b: "QoS not supported",
  0x9c: "use another server",
  0x9d: "server moved",
  0x9f: "connection rate exceeded",
};
