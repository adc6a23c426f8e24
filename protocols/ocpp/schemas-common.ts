/** Building blocks shared by the OCPP 1.6 action schemas (types of the official 1.6 JSON schemas). */
import { z } from "zod";

/**
 * RFC 3339 date-time. A missing zone is tolerated (spec §2.5: ocpp2mqtt itself emits one), and
 * seconds may be absent as some chargers send `HH:MM`.
 */
export const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
export const dateTime = z.string().regex(DATE_TIME_RE, "expected an RFC 3339 date-time");

export const ciString = (max: number) => z.string().max(max);
export const idToken = ciString(20);
export const int = z.number().int();
export const nonNegInt = z.number().int().min(0);

export const authorizationStatus = z.enum(["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]);

export const idTagInfo = z
  .object({
    expiryDate: dateTime.optional(),
    parentIdTag: idToken.optional(),
    status: authorizationStatus,
  })
  .strict();

export const MEASURANDS = [
  "Energy.Active.Export.Register",
  "Energy.Active.Import.Register",
  "Energy.Reactive.Export.Register",
  "Energy.Reactive.Import.Register",
  "Energy.Active.Export.Interval",
  "Energy.Active.Import.Interval",
  "Energy.Reactive.Export.Interval",
  "Energy.Reactive.Import.Interval",
  "Power.Active.Export",
  "Power.Active.Import",
  "Power.Offered",
  "Power.Reactive.Export",
  "Power.Reactive.Import",
  "Power.Factor",
  "Current.Import",
  "Current.Export",
  "Current.Offered",
  "Voltage",
  "Frequency",
  "Temperature",
  "SoC",
  "RPM",
] as const;

export const PHASES = ["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"] as const;

export const UNITS = [
  "Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar", "A", "V", "K",
  "Celcius", "Celsius", "Fahrenheit", "Percent",
] as const;

export const sampledValue = z
  .object({
    value: z.string(),
    context: z
      .enum([
        "Interruption.Begin",
        "Interruption.End",
        "Sample.Clock",
        "Sample.Periodic",
        "Transaction.Begin",
        "Transaction.End",
        "Trigger",
        "Other",
      ])
      .optional(),
    format: z.enum(["Raw", "SignedData"]).optional(),
    measurand: z.enum(MEASURANDS).optional(),
    phase: z.enum(PHASES).optional(),
    location: z.enum(["Cable", "EV", "Inlet", "Outlet", "Body"]).optional(),
    unit: z.enum(UNITS).optional(),
  })
  .strict();
export type SampledValue = z.infer<typeof sampledValue>;

export const meterValue = z
  .object({
    timestamp: dateTime,
    sampledValue: z.array(sampledValue),
  })
  .strict();
export type MeterValue = z.infer<typeof meterValue>;

export const chargingRateUnit = z.enum(["A", "W"]);
export const chargingProfilePurpose = z.enum(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]);

export const chargingSchedule = z
  .object({
    duration: int.optional(),
    startSchedule: dateTime.optional(),
    chargingRateUnit,
    chargingSchedulePeriod: z
      .array(
        z
          .object({
            startPeriod: int,
            limit: z.number(),
            numberPhases: int.optional(),
          })
          .strict(),
      )
      .min(1),
    minChargingRate: z.number().optional(),
  })
  .strict();

export const chargingProfile = z
  .object({
    chargingProfileId: int,
    transactionId: int.optional(),
    stackLevel: nonNegInt,
    chargingProfilePurpose,
    chargingProfileKind: z.enum(["Absolute", "Recurring", "Relative"]),
    recurrencyKind: z.enum(["Daily", "Weekly"]).optional(),
    validFrom: dateTime.optional(),
    validTo: dateTime.optional(),
    chargingSchedule,
  })
  .strict();
export type ChargingProfile = z.infer<typeof chargingProfile>;

export const empty = z.object({}).strict();
export const statusOnly = <T extends readonly [string, ...string[]]>(values: T) => z.object({ status: z.enum(values) }).strict();
