// Small per-serial facts that must survive a restart: PINs given with the `login` request (so the
// bridge logs in again by itself, as emproto's saveEvses/loadEvses do) and the address each charger
// was logged in from (so a restart opens no window for a spoofer). Config-file PINs are not copied.
import type { Logger } from "../../lib/log.ts";
import { StateFile } from "../../lib/state-file.ts";

type Stored = Record<string, string>;

export class SerialStore {
  private data: Stored;
  private file: StateFile<Stored>;

  /** `valid` drops entries a hand edit or an older version left unusable. */
  constructor(dir: string, name: string, log: Logger, valid: (value: string) => boolean, mode?: number) {
    this.file = new StateFile<Stored>(dir, name, log, mode !== undefined ? { mode } : {});
    this.data = this.file.load((raw) => {
      const out: Stored = {};
      if (raw && typeof raw === "object") {
        for (const [serial, v] of Object.entries(raw)) if (typeof v === "string" && valid(v)) out[serial] = v;
      }
      return out;
    }, () => ({}));
  }

  get(serial: string): string | undefined {
    return Object.hasOwn(this.data, serial) ? this.data[serial] : undefined;
  }

  remember(serial: string, value: string): void {
    if (this.data[serial] === value) return;
    this.data[serial] = value;
    this.file.save(this.data);
  }

  forget(serial: string): void {
    if (!Object.hasOwn(this.data, serial)) return;
    delete this.data[serial];
    this.file.save(this.data);
  }
}

/** The PINs file is owner-only: it holds the chargers' PINs in clear (the protocol needs them in clear). */
export const passwordStore = (dir: string, log: Logger) => new SerialStore(dir, "evsemaster-passwords.json", log, (v) => /^\d{6}$/.test(v), 0o600);

export const addressStore = (dir: string, log: Logger) => new SerialStore(dir, "evsemaster-addresses.json", log, (v) => /^[0-9a-fA-F.:]+$/.test(v));
