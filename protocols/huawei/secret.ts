// The HMAC key authorises power requests to a high-voltage supply (spec §7), so it must never reach a
// log line, an error text or an MQTT payload. Every way JavaScript turns an object into text is
// overridden here; the bytes are only reachable through an explicit `reveal()`.

const REDACTED = (n: number) => `[secret ${n} bytes]`;

export class SecretBytes {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes.slice();
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** A copy of the key, for the HMAC computation only. */
  reveal(): Uint8Array {
    return this.#bytes.slice();
  }

  /** True when every byte is 0, i.e. the PSU never wrote a key. */
  isZero(): boolean {
    return this.#bytes.every((b) => b === 0);
  }

  equals(other: SecretBytes): boolean {
    const a = this.#bytes;
    const b = other.#bytes;
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
    return diff === 0;
  }

  toString(): string {
    return REDACTED(this.#bytes.length);
  }

  toJSON(): string {
    return REDACTED(this.#bytes.length);
  }

  [Symbol.toPrimitive](): string {
    return REDACTED(this.#bytes.length);
  }

  // Node/Bun console.log and util.inspect, and Deno's console.
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED(this.#bytes.length);
  }

  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED(this.#bytes.length);
  }
}
