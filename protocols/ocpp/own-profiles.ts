// The charging profiles the bridge itself has put on a charger (current_limit_a, the 0 A profile
// of enabled:false): raw commands must not remove or replace them behind the bridge's back.
import type { CsRequest } from "./schemas.ts";

export type Purpose = "ChargePointMaxProfile" | "TxDefaultProfile" | "TxProfile";

export interface OwnProfile {
  id: number;
  connectorId: number;
  purpose: Purpose;
  stackLevel: number;
  /** TxProfiles end with their transaction. */
  transactionId?: number;
  /** For refusals: what the profile is for. */
  what: string;
}

/** Whether ClearChargingProfile with this filter removes `p` (1.6: an id names one profile; otherwise every given field must match). */
export function clearRemoves(filter: CsRequest<"ClearChargingProfile">, p: OwnProfile): boolean {
  if (filter.id !== undefined) return filter.id === p.id;
  return (
    (filter.connectorId === undefined || filter.connectorId === p.connectorId) &&
    (filter.chargingProfilePurpose === undefined || filter.chargingProfilePurpose === p.purpose) &&
    (filter.stackLevel === undefined || filter.stackLevel === p.stackLevel)
  );
}

/** The current_limit_a profiles in force on one charge point, by profile id. */
export class OwnProfiles {
  private readonly byId = new Map<number, OwnProfile>();

  set(p: OwnProfile): void {
    this.byId.set(p.id, p);
  }

  get(id: number): OwnProfile | undefined {
    return this.byId.get(id);
  }

  all(): OwnProfile[] {
    return [...this.byId.values()];
  }

  /** The charger drops a transaction's TxProfiles when it ends. */
  transactionEnded(transactionId: number): void {
    for (const [id, p] of this.byId) if (p.purpose === "TxProfile" && p.transactionId === transactionId) this.byId.delete(id);
  }
}
