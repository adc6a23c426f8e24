import type { z } from "zod";

/** One line per problem: `path: message`, so an MQTT user sees exactly which field was wrong. */
export function formatZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}
