// `current_limit_a` → SetChargingProfile, trying the profile kinds chargers actually support
// (spec §11: chargers differ in which purposes they accept): TxDefaultProfile first (the issue's
// choice, it survives new sessions), then ChargePointMaxProfile (whole charger only), then a
// TxProfile on the running transaction.
import { CommandError } from "../../lib/errors.ts";
import type { OcppSection } from "./config.ts";
import { CallError } from "./errors.ts";
import type { OwnProfile } from "./own-profiles.ts";
import type { CsAction, CsRequest, CsResponse } from "./schemas.ts";

export interface LimitApplied {
  profile: "TxDefaultProfile" | "ChargePointMaxProfile" | "TxProfile";
  tried: string[];
  /** The accepted profile as the charger now holds it. */
  own: OwnProfile;
}

/** Sends one CALL on the live session. */
export type Call = <A extends CsAction>(action: A, payload: CsRequest<A>) => Promise<CsResponse<A>>;

interface Attempt {
  purpose: LimitApplied["profile"];
  connectorId: number;
  transactionId?: number;
}

export async function applyCurrentLimit(
  call: Call,
  cfg: OcppSection,
  connectorId: number,
  limit: number,
  runningTransaction: number | undefined,
): Promise<LimitApplied> {
  const attempts: Attempt[] = [{ purpose: "TxDefaultProfile", connectorId }];
  if (connectorId === 0) attempts.push({ purpose: "ChargePointMaxProfile", connectorId: 0 });
  if (runningTransaction !== undefined) attempts.push({ purpose: "TxProfile", connectorId: connectorId === 0 ? 1 : connectorId, transactionId: runningTransaction });
  const tried: string[] = [];
  for (const a of attempts) {
    let status: string;
    try {
      const r = await call("SetChargingProfile", {
        connectorId: a.connectorId,
        csChargingProfiles: {
          chargingProfileId: cfg.profile_id + a.connectorId,
          ...(a.transactionId !== undefined ? { transactionId: a.transactionId } : {}),
          stackLevel: cfg.profile_stack_level,
          chargingProfilePurpose: a.purpose,
          chargingProfileKind: a.purpose === "TxProfile" ? "Absolute" : "Relative",
          chargingSchedule: {
            chargingRateUnit: "A",
            ...(a.purpose === "TxProfile" ? { startSchedule: new Date().toISOString() } : {}),
            chargingSchedulePeriod: [{ startPeriod: 0, limit }],
          },
        },
      });
      status = r.status;
    } catch (err) {
      // A charger without smart charging answers NotSupported/NotImplemented: try the next kind.
      if (!(err instanceof CallError)) throw err;
      status = `CALLERROR ${err.code}`;
    }
    tried.push(`${a.purpose} ${status}`);
    if (status === "Accepted") {
      const own: OwnProfile = { id: cfg.profile_id + a.connectorId, connectorId: a.connectorId, purpose: a.purpose, stackLevel: cfg.profile_stack_level, what: `current_limit_a ${limit} A` };
      if (a.transactionId !== undefined) own.transactionId = a.transactionId;
      return { profile: a.purpose, tried, own };
    }
  }
  throw new CommandError(`the charger accepted no charging profile for ${limit} A (${tried.join(", ")})`);
}
