/**
 * The small state that must survive a restart: the last transaction id handed out (F5: chargers
 * key Stop/MeterValues on it, so ids must never repeat) and each charger's charging_enabled (F8).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../lib/log.ts";

interface Stored {
  last_transaction_id: number;
  charging_enabled: Record<string, boolean>;
}

const MAX_INT32 = 2 ** 31 - 1;

export class OcppStateStore {
  private data: Stored = { last_transaction_id: 0, charging_enabled: {} };
  private readonly file: string;

  constructor(dir: string, private log: Logger) {
    this.file = join(dir, "ocpp-state.json");
    try {
      const v = JSON.parse(readFileSync(this.file, "utf8")) as Partial<Stored>;
      if (typeof v.last_transaction_id === "number" && Number.isInteger(v.last_transaction_id)) this.data.last_transaction_id = v.last_transaction_id;
      if (v.charging_enabled && typeof v.charging_enabled === "object") {
        for (const [k, b] of Object.entries(v.charging_enabled)) if (typeof b === "boolean") this.data.charging_enabled[k] = b;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") log.warn("ocpp state file unreadable, starting fresh", { file: this.file, error: String(err) });
    }
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // reported on first save
    }
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
    const tmp = `${this.file}.tmp`;
    try {
      // Write-then-rename so a crash mid-write cannot lose the counter.
      writeFileSync(tmp, JSON.stringify(this.data));
      renameSync(tmp, this.file);
    } catch (err) {
      this.log.error("cannot save ocpp state", { file: this.file, error: String(err) });
    }
  }
}
