// Field readers for RAPI data: each returns a value or a sentence that names the field.

export type FieldResult<T> = { ok: true; value: T } | { ok: false; error: string };

const DEC = /^\d{1,10}$/;
const SIGNED = /^-?\d{1,10}$/;

/** Unsigned decimal. */
export function parseDec(text: string, where: string): FieldResult<number> {
  if (!DEC.test(text)) return { ok: false, error: `${where}: expected an unsigned decimal number, got "${text}"` };
  return { ok: true, value: Number(text) };
}

/** Signed decimal (temperatures, calibration offsets, the -1 "not available" markers). */
export function parseSigned(text: string, where: string): FieldResult<number> {
  if (!SIGNED.test(text)) return { ok: false, error: `${where}: expected a decimal number, got "${text}"` };
  return { ok: true, value: Number(text) };
}

/** Hex of 1…`maxDigits` digits, either case: the controller writes data fields in lower case, older tools in upper. */
export function parseHex(text: string, maxDigits: number, where: string): FieldResult<number> {
  if (text.length === 0 || text.length > maxDigits || !/^[0-9A-Fa-f]+$/.test(text)) {
    return { ok: false, error: `${where}: expected 1–${maxDigits} hex digits, got "${text}"` };
  }
  return { ok: true, value: parseInt(text, 16) };
}

/** Lower-case hex padded to `digits`, as the controller writes state and flag fields (§2). */
export function fmtHex(n: number, digits: number): string {
  return (n >>> 0).toString(16).padStart(digits, "0");
}

/** Unwraps a FieldResult inside a parser that reports by throwing (commands.ts). */
export function take<T>(r: FieldResult<T>, fail: (message: string) => never): T {
  if (!r.ok) fail(r.error);
  return r.value;
}
