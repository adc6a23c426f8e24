// PINs given at run time with the `login` request, remembered so the bridge logs in again by itself
// after a restart (what emproto's saveEvses/loadEvses do). PINs from the config file are not copied here.
import type { Logger } from "../../lib/log.ts";
import { StateFile } from "../../lib/state-file.ts";

type Stored = Record<string, string>;

function parse(raw: unknown): Stored {
  const out: Stored = {};
  if (raw && typeof raw === "object") {
    for (const [serial, pin] of Object.entries(raw)) if (typeof pin === "string" && /^\d{6}$/.test(pin)) out[serial] = pin;
  }
  return out;
}

export class PasswordStore {
  private data: Stored;
  private file: StateFile<Stored>;

  constructor(dir: string, log: Logger) {
    // Owner-only: the file holds the chargers' PINs in clear (the protocol needs them in clear).
    this.file = new StateFile<Stored>(dir, "evsemaster-passwords.json", log, { mode: 0o600 });
    this.data = this.file.load(parse, () => ({}));
  }

  get(serial: string): string | undefined {
    return this.data[serial];
  }

  remember(serial: string, pin: string): void {
    if (this.data[serial] === pin) return;
    this.data[serial] = pin;
    this.file.save(this.data);
  }

  forget(serial: string): void {
    if (!(serial in this.data)) return;
    delete this.data[serial];
    this.file.save(this.data);
  }
}
