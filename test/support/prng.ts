/** Deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** Flips, inserts, deletes or truncates a few bytes of `input`. */
export function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  const b = [...input];
  const edits = 1 + ((rand() * 4) | 0);
  for (let e = 0; e < edits; e++) {
    const at = (rand() * (b.length + 1)) | 0;
    switch ((rand() * 4) | 0) {
      case 0:
        if (b.length) b[at % b.length] = (rand() * 256) | 0;
        break;
      case 1:
        b.splice(at, 0, (rand() * 256) | 0);
        break;
      case 2:
        b.splice(at, 1);
        break;
      default:
        b.length = Math.min(b.length, at);
    }
  }
  return Uint8Array.from(b);
}
