/**
 * The small state that must survive a restart: the last transaction id handed out (F5: chargers
 * key Stop/MeterValues on it, so ids must never repeat) and each charger's charging_enabled (F8).
 */
import type { Logger } from "../../lib/log.ts";
import { StateFile } from "../../lib/state-file.ts";

interface Stored {
  last_transaction_id: number;
  charging_enabled: Record<string, boolean>;
}

const MAX_INT32 = 2 ** 31 - 1;

/** Keeps what is well-formed; a damaged entry must not cost the transaction counter. */
function parseStored(raw: unknown): Stored {
  const v = (raw ?? {}) as Partial<Stored>;
  const out: Stored = { last_transaction_id: 0, charging_enabled: {} };
  if (typeof v.last_transaction_id === "number" && Number.isInteger(v.last_transaction_id)) out.last_transaction_id = v.last_transaction_id;
  if (v.charging_enabled && typeof v.charging_enabled === "object") {
    for (const [k, b] of Object.entries(v.charging_enabled)) if (typeof b === "boolean") out.charging_enabled[k] = b;
  }
  return out;
}

export class OcppStateStore {
  private data: Stored;
  private readonly file: StateFile<Stored>;

  constructor(dir: string, log: Logger) {
    this.file = new StateFile<Stored>(dir, "ocpp-state.json", log);
    this.data = this.file.load(parseStored, () => ({ last_transaction_id: 0, charging_enabled: {} }));
  }

  /** Next transaction id, saved before it is handed out. Wraps below int32 since chargers store it as one. */
  nextTransactionId(): number {
    const next = this.data.last_transaction_id >= MAX_INT32 ? 1 : this.data.last_transaction_id + 1;
    this.data.last_transaction_id = next;
    this.save();
    return next;
  }

  chargingEnabled(identity: string): boolean | undefined {
    return this.data.charging_enabled[identity];
  }

  setChargingEnabled(identity: string, on: boolean): void {
    if (this.data.charging_enabled[identity] === on) return;
    this.data.charging_enabled[identity] = on;
    this.save();
  }

  private save(): void {
    this.file.save(this.data);
  }
}
