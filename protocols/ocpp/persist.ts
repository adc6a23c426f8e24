/**
 * The small state that must survive a restart: the last transaction id handed out (F5: chargers
 * key Stop/MeterValues on it, so ids must never repeat) and each charger's charging_enabled (F8).
 */
import type { Logger } from "../../lib/log.ts";
import { StateFile } from "../../lib/state-file.ts";

/** On disk: charging_enabled as a plain JSON object. */
interface Stored {
  last_transaction_id: number;
  charging_enabled: Record<string, boolean>;
}

/** In memory: a Map, so identities such as "constructor" or "__proto__" find nothing inherited. */
interface State {
  last_transaction_id: number;
  charging_enabled: Map<string, boolean>;
}

const MAX_INT32 = 2 ** 31 - 1;

/** Keeps what is well-formed; a damaged entry must not cost the transaction counter. */
function parseStored(raw: unknown): State {
  const v = (raw ?? {}) as Partial<Stored>;
  const out: State = { last_transaction_id: 0, charging_enabled: new Map() };
  if (typeof v.last_transaction_id === "number" && Number.isInteger(v.last_transaction_id)) out.last_transaction_id = v.last_transaction_id;
  if (v.charging_enabled && typeof v.charging_enabled === "object") {
    for (const [k, b] of Object.entries(v.charging_enabled)) if (typeof b === "boolean") out.charging_enabled.set(k, b);
  }
  return out;
}

export class OcppStateStore {
  private data: State;
  private readonly file: StateFile<Stored>;

  constructor(dir: string, log: Logger, private readonly now: () => number = Date.now) {
    this.file = new StateFile<Stored>(dir, "ocpp-state.json", log);
    this.data = parseStored(this.file.load((raw) => raw as Stored, () => ({ last_transaction_id: 0, charging_enabled: {} })));
  }

  /**
   * Next transaction id, saved before it is handed out. Never below the current Unix time in
   * seconds, so a lost or unwritable state file cannot restart the ids at 1 (F5); that fits an
   * int32, as chargers store it, until 2038. Wraps to 1 after the int32 maximum.
   */
  nextTransactionId(): number {
    const seconds = Math.floor(this.now() / 1000);
    let next = Math.max(this.data.last_transaction_id + 1, seconds <= MAX_INT32 ? seconds : 0);
    if (next > MAX_INT32) next = 1;
    this.data.last_transaction_id = next;
    this.save();
    return next;
  }

  chargingEnabled(identity: string): boolean | undefined {
    return this.data.charging_enabled.get(identity);
  }

  setChargingEnabled(identity: string, on: boolean): void {
    if (this.data.charging_enabled.get(identity) === on) return;
    this.data.charging_enabled.set(identity, on);
    this.save();
  }

  private save(): void {
    // Object.fromEntries defines own properties, so even "__proto__" is written as plain data.
    this.file.save({ last_transaction_id: this.data.last_transaction_id, charging_enabled: Object.fromEntries(this.data.charging_enabled) });
  }
}
