export interface QueuedPublish {
  topic: string;
  payload: string | Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

/**
 * Publishes held while the broker is unreachable. Retained topics keep only their newest value
 * (older values are meaningless once a newer one exists); everything else keeps its order; past
 * `limit` the oldest entry goes and is counted.
 */
export class OfflineQueue {
  private items: QueuedPublish[] = [];
  dropped = 0;

  constructor(readonly limit: number, private onDrop?: (dropped: QueuedPublish, total: number) => void) {}

  get size(): number {
    return this.items.length;
  }

  push(item: QueuedPublish): void {
    if (item.retain) {
      const i = this.items.findIndex((q) => q.retain && q.topic === item.topic);
      if (i >= 0) this.items.splice(i, 1);
    }
    this.items.push(item);
    while (this.items.length > this.limit) {
      const gone = this.items.shift()!;
      this.dropped++;
      this.onDrop?.(gone, this.dropped);
    }
  }

  drain(): QueuedPublish[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}
