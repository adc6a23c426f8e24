// The MQTT JSON the EVSEMaster actions accept on `<base>/<id>/request`: one args schema per action.

import { z } from "zod";
import { NAME_MAX } from "./app-payloads.ts";
import { LANGUAGES } from "./enums.ts";

const ascii16 = z.string().max(16).regex(/^[\x20-\x7e]*$/, "printable ASCII only");
const pin = z.string().regex(/^\d{6}$/, "expected 6 digits");

export const chargeStartArgs = z
  .object({
    /** Lowered to min(32, device max, configured max); below 6 refused; default: the charger's configured max current. */
    max_amps: z.number().int().optional(),
    /** ISO 8601 time; more than 5 s ahead makes a reservation (at most 24 h ahead); more than 5 min past is refused. */
    start_at: z.iso.datetime({ offset: true }).optional(),
    max_duration_minutes: z.number().int().min(1).max(65534).optional(),
    // Sent in 0.01 kWh steps, and 0 on the wire means "no limit": anything that would round to 0 is refused.
    max_energy_kwh: z.number().min(0.01).max(655.34).optional(),
    /** Forced single phase; only on three-phase units that can do it. */
    single_phase: z.boolean().optional(),
    user_id: ascii16.optional(),
    charge_id: ascii16.optional(),
  })
  .strict();

export const chargeStopArgs = z.object({ user_id: ascii16.optional() }).strict();
export const setNameArgs = z.object({ name: z.string().min(1).max(NAME_MAX).regex(/^[\x20-\x7e]*$/, "printable ASCII only") }).strict();
export const setLanguageArgs = z.object({ language: z.union([z.enum(LANGUAGES), z.number().int().min(1).max(8)]) }).strict();
export const setTemperatureUnitArgs = z.object({ unit: z.enum(["celsius", "fahrenheit"]) }).strict();
export const setOfflineChargeArgs = z.object({ enabled: z.boolean() }).strict();
export const setMaxCurrentArgs = z.object({ amps: z.number().int() }).strict();
export const loginArgs = z.object({ password: pin.optional() }).strict();

export type ChargeStartArgs = z.infer<typeof chargeStartArgs>;
