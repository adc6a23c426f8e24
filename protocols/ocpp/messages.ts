/** The JSON carried on the compatible MQTT layout (spec §7.7–7.9, F7). */
import { z } from "zod";

/** `<base>/cmd`: ocpp2mqtt's shape; `id` is our addition, echoed on cmd_response. */
export const compatCommandSchema = z.object({
  action: z.string().min(1),
  args: z.unknown().optional(),
  id: z.union([z.string(), z.number()]).optional(),
});
export type CompatCommand = z.infer<typeof compatCommandSchema>;

export interface CmdErrorBody {
  code: string;
  description: string;
  details: Record<string, unknown>;
}

/** `<base>/cmd_response`, one non-retained document per command (F7). */
export type CmdResponse =
  | { action: string; status: "ok"; result: unknown; id?: string | number }
  | { action: string; status: "error"; error: CmdErrorBody; id?: string | number };

export const cmdResponseSchema = z.union([
  z.object({ action: z.string(), status: z.literal("ok"), result: z.unknown(), id: z.union([z.string(), z.number()]).optional() }),
  z.object({
    action: z.string(),
    status: z.literal("error"),
    error: z.object({ code: z.string(), description: z.string(), details: z.record(z.string(), z.unknown()) }),
    id: z.union([z.string(), z.number()]).optional(),
  }),
]);
