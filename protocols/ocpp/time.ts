/** `YYYY-MM-DDTHH:MM:SSZ`, the format ocpp2mqtt publishes and chargers parse best (spec F12). */
export function nowUtc(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
