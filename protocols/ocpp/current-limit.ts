// `current_limit_a` → SetChargingProfile, trying the profile kinds chargers actually support
// (spec §11: chargers differ in which purposes they accept): TxDefaultProfile first (the issue's
// choice, it survives new sessions), then ChargePointMaxProfile (whole charger only), then a
// TxProfile on the running transaction.
import { CommandError } from "../../lib/errors.ts";
import type { OcppSection } from "./config.ts";
import type { Session } from "./driver.ts";
import { CallError } from "./rpc.ts";

export interface LimitApplied {
  profile: "TxDefaultProfile" | "ChargePointMaxProfile" | "TxProfile";
  tried: string[];
}

interface Attempt {
  purpose: LimitApplied["profile"];
  connectorId: number;
  transactionId?: number;
}

export async function applyCurrentLimit(
  s: Session,
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
      const r = await s.call("SetChargingProfile", {
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
    if (status === "Accepted") return { profile: a.purpose, tried };
  }
  throw new CommandError(`the charger accepted no charging profile for ${limit} A (${tried.join(", ")})`);
}
