/**
 * The simulated charge point's charging profiles, by the 1.6 rules (§3.13 of the 1.6 spec): a
 * TxProfile binds one running transaction and ends with it, it overrides the TxDefaultProfile (one
 * on the connector before one on connector 0), and a ChargePointMaxProfile caps the whole charger.
 * Within a purpose the highest stack level wins; the same id replaces.
 */

type Purpose = "ChargePointMaxProfile" | "TxDefaultProfile" | "TxProfile";

interface Profile {
  id: number;
  connectorId: number;
  purpose: Purpose;
  stackLevel: number;
  transactionId: number | undefined;
  limitA: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isPurpose(v: unknown): v is Purpose {
  return v === "ChargePointMaxProfile" || v === "TxDefaultProfile" || v === "TxProfile";
}

export class SimProfiles {
  private list: Profile[] = [];

  /** SetChargingProfile; `running(n)` is the transaction on connector n. Returns the 1.6 status. */
  set(connectorId: number, raw: unknown, running: (n: number) => number | undefined): "Accepted" | "Rejected" {
    if (!isRecord(raw) || !isRecord(raw.chargingSchedule) || !isPurpose(raw.chargingProfilePurpose)) return "Rejected";
    const periods = raw.chargingSchedule.chargingSchedulePeriod;
    const first: unknown = Array.isArray(periods) ? periods[0] : undefined;
    if (!isRecord(first) || typeof first.limit !== "number" || typeof raw.chargingProfileId !== "number") return "Rejected";
    const purpose = raw.chargingProfilePurpose;
    let transactionId: number | undefined;
    if (purpose === "TxProfile") {
      // A TxProfile needs a transaction on that connector, and the one it names.
      transactionId = connectorId === 0 ? undefined : running(connectorId);
      if (transactionId === undefined || (raw.transactionId !== undefined && raw.transactionId !== transactionId)) return "Rejected";
    }
    if (purpose === "ChargePointMaxProfile" && connectorId !== 0) return "Rejected";
    // A W limit as the current per phase of a three-phase 230 V supply.
    const limitA = raw.chargingSchedule.chargingRateUnit === "A" ? first.limit : first.limit / (230 * 3);
    this.list = this.list.filter((p) => p.id !== raw.chargingProfileId);
    this.list.push({ id: raw.chargingProfileId, connectorId, purpose, stackLevel: typeof raw.stackLevel === "number" ? raw.stackLevel : 0, transactionId, limitA });
    return "Accepted";
  }

  /** ClearChargingProfile: every given field must match; no field clears all. */
  clear(filter: Record<string, unknown>): "Accepted" | "Unknown" {
    const keep = (p: Profile) =>
      (filter.id !== undefined && filter.id !== p.id) ||
      (filter.connectorId !== undefined && filter.connectorId !== p.connectorId) ||
      (filter.chargingProfilePurpose !== undefined && filter.chargingProfilePurpose !== p.purpose) ||
      (filter.stackLevel !== undefined && filter.stackLevel !== p.stackLevel);
    const before = this.list.length;
    this.list = this.list.filter(keep);
    const all = Object.keys(filter).length === 0;
    return all || this.list.length < before ? "Accepted" : "Unknown";
  }

  /** A TxProfile lives as long as its transaction. */
  transactionEnded(transactionId: number): void {
    this.list = this.list.filter((p) => p.purpose !== "TxProfile" || p.transactionId !== transactionId);
  }

  /** The limit in A on connector n (undefined = none), for the transaction running there. */
  limit(n: number, transactionId: number | undefined): number | undefined {
    const top = (ps: Profile[]) => ps.sort((a, b) => b.stackLevel - a.stackLevel)[0]?.limitA;
    const tx = transactionId === undefined ? undefined : top(this.list.filter((p) => p.purpose === "TxProfile" && p.connectorId === n && p.transactionId === transactionId));
    const def = top(this.list.filter((p) => p.purpose === "TxDefaultProfile" && p.connectorId === n)) ?? top(this.list.filter((p) => p.purpose === "TxDefaultProfile" && p.connectorId === 0));
    const cap = top(this.list.filter((p) => p.purpose === "ChargePointMaxProfile"));
    const own = tx ?? def;
    if (own === undefined) return cap;
    return cap === undefined ? own : Math.min(own, cap);
  }
}
