// Aedes persistence kept in memory and written to one JSON file after every change, so the
// stand-in test broker keeps what Mosquitto's persistence keeps across a restart: retained
// messages, persistent sessions' subscriptions, their queued and unacknowledged QoS 1/2 messages
// and inbound QoS 2 state. Wills stay in memory: a restarted test broker has no reason to publish
// a will of a client that the previous process already let go.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { z } from "zod";

/** What aedes hands a persistence: an MQTT publish packet plus its own bookkeeping fields. */
export interface BrokerPacket {
  topic: string;
  payload: Buffer;
  qos: number;
  messageId?: number | undefined;
  brokerId?: string | undefined;
  brokerCounter?: number | undefined;
  [field: string]: unknown;
}

export interface Subscription {
  topic: string;
  qos: number;
  [option: string]: unknown;
}

interface ClientRef {
  id: string;
}

const packetSchema = z.looseObject({ topic: z.string(), payload: z.instanceof(Buffer), qos: z.number() });
const subSchema = z.looseObject({ topic: z.string(), qos: z.number() });
const snapshotSchema = z.object({
  retained: z.array(packetSchema),
  subscriptions: z.record(z.string(), z.array(subSchema)),
  outgoing: z.record(z.string(), z.array(packetSchema)),
  incoming: z.record(z.string(), z.array(packetSchema)),
});
type Snapshot = z.infer<typeof snapshotSchema>;

/** MQTT topic filter matching; wildcards at the first level do not match `$` topics. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** A queued copy that later changes to the original cannot reach; qos > 0 gets a fresh message id on delivery. */
function queued(p: BrokerPacket): BrokerPacket {
  const copy: BrokerPacket = { ...p, cmd: p.cmd ?? "publish", brokerCounter: p.brokerCounter ?? 0, retain: p.retain ?? false, dup: p.dup ?? false };
  if (copy.qos > 0 || copy.cmd !== "publish") copy.messageId = undefined;
  return copy;
}

// Buffers go to JSON as { type: "Buffer", data: [...] }; this brings them back.
function revive(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && "type" in value && value.type === "Buffer" && "data" in value && Array.isArray(value.data)) {
    return Buffer.from(value.data);
  }
  return value;
}

export class FilePersistence {
  private retained = new Map<string, BrokerPacket>();
  private subscriptions = new Map<string, Map<string, Subscription>>();
  private outgoing = new Map<string, BrokerPacket[]>();
  private incoming = new Map<string, Map<number, BrokerPacket>>();
  private wills = new Map<string, BrokerPacket>();
  /** The connection (aedes' client object) a queued packet was last sent on. */
  private sentOn = new WeakMap<BrokerPacket, ClientRef>();
  private brokerId = "";
  private saveScheduled = false;
  private skipRetainedQuery = false;

  constructor(private readonly file: string) {}

  /** aedes checks that this is an async function. */
  async setup(broker: { id: string }): Promise<void> {
    this.brokerId = broker.id;
    if (!existsSync(this.file)) return;
    const snap = snapshotSchema.parse(JSON.parse(readFileSync(this.file, "utf8"), revive));
    for (const p of snap.retained) this.retained.set(p.topic, p);
    for (const [id, subs] of Object.entries(snap.subscriptions)) this.subscriptions.set(id, new Map(subs.map((s) => [s.topic, s])));
    for (const [id, queue] of Object.entries(snap.outgoing)) this.outgoing.set(id, queue);
    for (const [id, packets] of Object.entries(snap.incoming)) {
      this.incoming.set(id, new Map(packets.flatMap((p) => (typeof p.messageId === "number" ? [[p.messageId, p]] : []))));
    }
  }

  /** Writes the state now (also at shutdown); written to a side file first so a kill never leaves half a file. */
  flush(): void {
    const snap: Snapshot = {
      retained: [...this.retained.values()],
      subscriptions: Object.fromEntries([...this.subscriptions].map(([id, subs]) => [id, [...subs.values()]])),
      outgoing: Object.fromEntries([...this.outgoing].filter(([, q]) => q.length > 0)),
      incoming: Object.fromEntries([...this.incoming].map(([id, m]) => [id, [...m.values()]])),
    };
    writeFileSync(`${this.file}.new`, JSON.stringify(snap));
    renameSync(`${this.file}.new`, this.file);
  }

  /** Many changes in one turn of the event loop are written once. */
  private changed(): void {
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => {
      this.saveScheduled = false;
      this.flush();
    });
  }

  async storeRetained(packet: BrokerPacket): Promise<void> {
    if (packet.payload.length === 0) this.retained.delete(packet.topic);
    else this.retained.set(packet.topic, { ...packet });
    this.changed();
  }

  /** The retained messages matching any of `filters`, each once. */
  retainedFor(filters: string[]): BrokerPacket[] {
    return [...this.retained.values()].filter((p) => filters.some((f) => topicMatches(f, p.topic)));
  }

  /** The next retained query (aedes' own, right after a SUBSCRIBE) gets nothing: it was answered already. */
  skipNextRetainedQuery(): void {
    this.skipRetainedQuery = true;
  }

  createRetainedStream(pattern: string): Readable {
    return Readable.from(this.retainedFor([pattern]));
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    const skip = this.skipRetainedQuery;
    this.skipRetainedQuery = false;
    return Readable.from(skip ? [] : this.retainedFor(patterns));
  }

  async addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void> {
    const stored = this.subscriptions.get(client.id) ?? new Map<string, Subscription>();
    for (const s of subs) stored.set(s.topic, { ...s });
    this.subscriptions.set(client.id, stored);
    this.changed();
  }

  async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    const stored = this.subscriptions.get(client.id);
    if (!stored) return;
    for (const t of topics) stored.delete(t);
    if (stored.size === 0) this.subscriptions.delete(client.id);
    this.changed();
  }

  async subscriptionsByClient(client: ClientRef): Promise<Subscription[]> {
    return [...(this.subscriptions.get(client.id)?.values() ?? [])].map((s) => ({ ...s }));
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    let subsCount = 0;
    for (const subs of this.subscriptions.values()) for (const s of subs.values()) if (s.qos > 0) subsCount++;
    return { subsCount, clientsCount: this.subscriptions.size };
  }

  /** Offline delivery targets: one entry per client (its highest QoS), as a broker sends a message once per client. */
  async subscriptionsByTopic(topic: string): Promise<(Subscription & { clientId: string })[]> {
    const out: (Subscription & { clientId: string })[] = [];
    for (const [clientId, subs] of this.subscriptions) {
      let best: Subscription | undefined;
      for (const s of subs.values()) if (s.qos > 0 && topicMatches(s.topic, topic) && (!best || s.qos > best.qos)) best = s;
      if (best) out.push({ ...best, clientId });
    }
    return out;
  }

  async cleanSubscriptions(client: ClientRef): Promise<void> {
    if (this.subscriptions.delete(client.id)) this.changed();
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: BrokerPacket): Promise<void> {
    this.queue(sub.clientId).push(queued(packet));
    this.changed();
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: BrokerPacket): Promise<void> {
    for (const s of subs) this.queue(s.clientId).push(queued(packet));
    this.changed();
  }

  /** Records the message id a queued packet was sent with (matched by its broker counter, else by id). */
  async outgoingUpdate(client: ClientRef, packet: BrokerPacket): Promise<void> {
    const q = this.queue(client.id);
    for (let i = 0; i < q.length; i++) {
      const held = q[i];
      if (!held) continue;
      if (held.brokerId === packet.brokerId) {
        if (held.brokerCounter === packet.brokerCounter) {
          held.messageId = packet.messageId;
          this.sentOn.set(held, client);
          this.changed();
          return;
        }
      } else if (held.messageId === packet.messageId) {
        q[i] = packet;
        this.sentOn.set(packet, client);
        this.changed();
        return;
      }
    }
    throw new Error("no such packet");
  }

  async outgoingClearMessageId(client: ClientRef, packet: { messageId?: number | undefined }): Promise<BrokerPacket | undefined> {
    const q = this.queue(client.id);
    const i = q.findIndex((p) => p.messageId === packet.messageId);
    if (i < 0) return undefined;
    const [gone] = q.splice(i, 1);
    this.changed();
    return gone;
  }

  /**
   * What a (re)connecting client still has to get. aedes replays this queue on a new connection
   * while it already delivers new messages to the restored subscription, and both paths would
   * send a packet queued in between. So each packet is looked at only after two event-loop turns
   * (by then a live delivery under way has recorded itself in outgoingUpdate), and one already
   * sent on this connection is left out: Mosquitto does not send it twice either.
   */
  outgoingStream(client: ClientRef): Readable {
    const queue = this.outgoing.get(client.id) ?? [];
    const sentOn = this.sentOn;
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    async function* pending(): AsyncGenerator<BrokerPacket> {
      for (const p of [...queue]) {
        await turn();
        await turn();
        if (queue.includes(p) && sentOn.get(p) !== client) yield p;
      }
    }
    return Readable.from(pending(), { highWaterMark: 1 });
  }

  private queue(clientId: string): BrokerPacket[] {
    let q = this.outgoing.get(clientId);
    if (!q) this.outgoing.set(clientId, (q = []));
    return q;
  }

  async incomingStorePacket(client: ClientRef, packet: BrokerPacket): Promise<void> {
    if (typeof packet.messageId !== "number") return;
    const m = this.incoming.get(client.id) ?? new Map<number, BrokerPacket>();
    m.set(packet.messageId, { ...queued(packet), messageId: packet.messageId });
    this.incoming.set(client.id, m);
    this.changed();
  }

  async incomingGetPacket(client: ClientRef, packet: { messageId?: number | undefined }): Promise<BrokerPacket> {
    const held = packet.messageId === undefined ? undefined : this.incoming.get(client.id)?.get(packet.messageId);
    if (!held) throw new Error("no such packet");
    return held;
  }

  async incomingDelPacket(client: ClientRef, packet: { messageId?: number | undefined }): Promise<void> {
    const m = this.incoming.get(client.id);
    if (packet.messageId === undefined || !m?.delete(packet.messageId)) throw new Error("no such packet");
    this.changed();
  }

  async cleanIncoming(client: ClientRef): Promise<void> {
    if (this.incoming.delete(client.id)) this.changed();
  }

  async putWill(client: ClientRef, packet: BrokerPacket): Promise<void> {
    packet.brokerId = this.brokerId;
    packet.clientId = client.id;
    this.wills.set(client.id, packet);
  }

  async getWill(client: ClientRef): Promise<BrokerPacket | undefined> {
    return this.wills.get(client.id);
  }

  async delWill(client: ClientRef): Promise<BrokerPacket | undefined> {
    const will = this.wills.get(client.id);
    this.wills.delete(client.id);
    return will;
  }

  /** Wills of clients whose broker is no longer alive. */
  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from([...this.wills.values()].filter((w) => typeof w.brokerId !== "string" || !(w.brokerId in brokers)));
  }

  getClientList(topic: string): Readable {
    return Readable.from([...this.subscriptions].filter(([, subs]) => subs.has(topic)).map(([id]) => id));
  }

  async destroy(): Promise<void> {
    this.flush();
  }
}
