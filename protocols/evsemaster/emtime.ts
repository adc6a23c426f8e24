// "EM time" (§2.6): the user's local wall clock read as if it were UTC+8 (Asia/Shanghai).

const SHANGHAI_S = 8 * 3600;

/** Raw values that mean "no time" (emproto4go). */
export function isNoTime(em: number): boolean {
  return em === 0 || em === 0xffffffff;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Zones that are UTC by definition, answered without Intl: the first Intl date formatter loads
 * ICU's time zone data, ~10 ms and ~5 MiB of RSS, which a bridge whose clock zone is UTC never needs.
 */
const UTC_ZONES = new Set(["UTC", "Etc/UTC"]);

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError for an unknown zone, so the config check can report it. */
export function validateTimeZone(timeZone: string): void {
  if (!UTC_ZONES.has(timeZone)) formatter(timeZone);
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Offset of `timeZone` from UTC at the instant `unixMs`, in seconds. */
export function zoneOffsetS(timeZone: string, unixMs: number): number {
  if (UTC_ZONES.has(timeZone)) return 0;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(unixMs))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const at = (k: string) => parts[k] ?? 0;
  const wallMs = Date.UTC(at("year"), at("month") - 1, at("day"), at("hour"), at("minute"), at("second"));
  return Math.round((wallMs - Math.floor(unixMs / 1000) * 1000) / 1000);
}

export function dateToEm(d: Date, timeZone: string): number {
  const unix = Math.floor(d.getTime() / 1000);
  return (unix + zoneOffsetS(timeZone, d.getTime()) - SHANGHAI_S) >>> 0;
}

/** The instant meant by an EM time, or null for "no time". */
export function emToDate(em: number, timeZone: string): Date | null {
  if (isNoTime(em)) return null;
  const wallS = em + SHANGHAI_S;
  // The offset depends on the instant we are solving for; two rounds settle it except inside a DST gap.
  let unix = wallS - zoneOffsetS(timeZone, wallS * 1000);
  unix = wallS - zoneOffsetS(timeZone, unix * 1000);
  return new Date(unix * 1000);
}
