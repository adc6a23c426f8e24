/**
 * The small state that must survive a restart: the last transaction id handed out (F5: chargers
 * key Stop/MeterValues on it, so ids must never repeat), each charger's charging_enabled (F8), and
 * the charge points that completed a BootNotification with when they were last seen (they count
 * towards max_charge_points and are forgotten after forget_after_s).
 */
import type { Logger } from "../../lib/log.ts";
import { StateFile } from "../../lib/state-file.ts";

/** On disk: plain JSON objects. */
interface Stored {
  last_transaction_id: number;
  charging_enabled: Record<string, boolean>;
  /** identity → last seen (ms since the epoch). */
  known_charge_points: Record<string, number>;
}

/** In memory: Maps, so identities such as "constructor" or "__proto__" find nothing inherited. */
interface State {
  last_transaction_id: number;
  charging_enabled: Map<string, boolean>;
  known: Map<string, number>;
}

const MAX_INT32 = 2 ** 31 - 1;

function entries(v: unknown): [string, unknown][] {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? Object.entries(v) : [];
}

/** Keeps what is well-formed; a damaged entry must not cost the transaction counter. */
function parseStored(raw: unknown): State {
  const out: State = { last_transaction_id: 0, charging_enabled: new Map(), known: new Map() };
  for (const [k, v] of entries(raw)) {
    if (k === "last_transaction_id" && typeof v === "number" && Number.isInteger(v)) out.last_transaction_id = v;
    if (k === "charging_enabled") for (const [id, b] of entries(v)) if (typeof b === "boolean") out.charging_enabled.set(id, b);
    if (k === "known_charge_points") for (const [id, t] of entries(v)) if (typeof t === "number" && Number.isFinite(t)) out.known.set(id, t);
  }
  return out;
}

function storedOf(s: State): Stored {
  // Object.fromEntries defines own properties, so even "__proto__" is written as plain data.
  return {
    last_transaction_id: s.last_transaction_id,
    charging_enabled: Object.fromEntries(s.charging_enabled),
    known_charge_points: Object.fromEntries(s.known),
  };
}

/** How long a last-seen change may wait before the state file is written. */
const SAVE_DELAY_MS = 2000;

export class OcppStateStore {
  private data: State;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly file: StateFile<Stored>;

  constructor(dir: string, log: Logger, private readonly now: () => number = Date.now) {
    this.file = new StateFile<Stored>(dir, "ocpp-state.json", log);
    this.data = parseStored(this.file.load((raw) => storedOf(parseStored(raw)), () => storedOf(parseStored(undefined))));
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

  /** Charge points that completed a BootNotification, with when they were last seen. */
  knownChargePoints(): ReadonlyMap<string, number> {
    return this.data.known;
  }

  rememberChargePoint(identity: string, at: number): void {
    this.data.known.set(identity, at);
    this.saveSoon();
  }

  forgetChargePoint(identity: string): void {
    if (this.data.known.delete(identity)) this.saveSoon();
  }

  /** Writes what is still pending (at shutdown). */
  flush(): void {
    if (this.saveTimer !== undefined) this.save();
  }

  private save(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.file.save(storedOf(this.data));
  }

  /**
   * Last-seen times may wait a moment: a fleet booting at once would otherwise rewrite the whole
   * file once per charge point. (Transaction ids are saved before they are handed out.)
   */
  private saveSoon(): void {
    if (this.saveTimer !== undefined) return;
    this.saveTimer = setTimeout(() => this.save(), SAVE_DELAY_MS);
    this.saveTimer.unref?.();
  }
}
