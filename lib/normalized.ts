import { z } from "zod";

export const STATUSES = ["available", "connected", "charging", "suspended", "error", "disabled", "offline", "unknown"] as const;
export type ChargerStatus = (typeof STATUSES)[number];
export type IecState = "A" | "B" | "C" | "D" | "E" | "F";

/** The one view of a charger that every protocol feeds (DESIGN.md "Normalized layout"). */
export interface NormalizedState {
  protocol: string;
  status: ChargerStatus;
  enabled: boolean | null;
  current_limit_a: number | null;
  power_w: number | null;
  energy_session_wh: number | null;
  energy_total_wh: number | null;
  voltage_v: (number | null)[];
  current_a: (number | null)[];
  temperature_c: number | null;
  errors: string[];
  iec_state?: IecState | null;
  /** Protocol readings that are not in SI units (e.g. Dehne ADC counts), kept apart so nobody mistakes them. */
  raw?: Record<string, unknown>;
  last_seen: string | null;
  updated_at: string;
}

export function emptyState(protocol: string): NormalizedState {
  return {
    protocol,
    status: "unknown",
    enabled: null,
    current_limit_a: null,
    power_w: null,
    energy_session_wh: null,
    energy_total_wh: null,
    voltage_v: [null, null, null],
    current_a: [null, null, null],
    temperature_c: null,
    errors: [],
    last_seen: null,
    updated_at: new Date(0).toISOString(),
  };
}

/** `<base>/<id>/set`: either key, nothing else. */
export const setCommandSchema = z
  .object({
    enabled: z.boolean().optional(),
    current_limit_a: z.number().finite().nonnegative().optional(),
  })
  .strict()
  .refine((v) => v.enabled !== undefined || v.current_limit_a !== undefined, {
    message: "expected at least one of enabled (boolean) or current_limit_a (number)",
  });
export type SetCommand = z.infer<typeof setCommandSchema>;

/** `<base>/<id>/request`: protocol-specific action with its arguments. */
// Strict: a misspelt "arg" must not run the action with default arguments.
export const requestSchema = z
  .object({
    transaction: z.union([z.string(), z.number()]).optional(),
    action: z.string().min(1),
    args: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type RequestCommand = z.infer<typeof requestSchema>;
