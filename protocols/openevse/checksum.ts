// RAPI checksums (spec §3): one byte over every character from `$` up to, not including, the
// `^`/`*` marker. Text is handled as latin1 so each character is exactly one wire byte.

export type ChecksumKind = "xor" | "sum";

export function xorChecksum(text: string): number {
  let x = 0;
  for (let i = 0; i < text.length; i++) x ^= text.charCodeAt(i) & 0xff;
  return x;
}

export function sumChecksum(text: string): number {
  let s = 0;
  for (let i = 0; i < text.length; i++) s = (s + (text.charCodeAt(i) & 0xff)) & 0xff;
  return s;
}

export function checksumOf(kind: ChecksumKind, text: string): number {
  return kind === "xor" ? xorChecksum(text) : sumChecksum(text);
}

export const MARKER: Record<ChecksumKind, string> = { xor: "^", sum: "*" };

/** Two upper-case hex digits: the controller emits upper case and the gateway's decoder rejects lower case (§3). */
export function hex2(n: number): string {
  return (n & 0xff).toString(16).toUpperCase().padStart(2, "0");
}

/** `text` followed by marker and checksum. */
export function withChecksum(text: string, kind: ChecksumKind): string {
  return `${text}${MARKER[kind]}${hex2(checksumOf(kind, text))}`;
}
