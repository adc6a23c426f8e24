// The [web] section: the status page, the JSON API, /healthz and /metrics on one HTTP listener.
import { z } from "zod";
import { hostPort } from "../config-fields.ts";

export const webSection = z
  .object({
    /** Empty: no HTTP server at all. */
    listen: z.literal("").or(hostPort("127.0.0.1:8080")).default(""),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    tls_cert: z.string().default(""),
    tls_key: z.string().default(""),
    /** Buttons for `enabled` and `current_limit_a` on the page (needs username and password). */
    control: z.boolean().default(false),
    /** /healthz stays 200 this long after MQTT drops, as long as the offline queue has not overflowed. */
    health_grace_s: z.number().min(0).default(30),
    /** Status pages connected at once (each holds one event stream). */
    max_clients: z.number().int().min(1).max(256).default(16),
  })
  .strict()
  .superRefine((w, ctx) => {
    if ((w.tls_cert === "") !== (w.tls_key === "")) {
      ctx.addIssue({ code: "custom", path: ["tls_key"], message: "tls_cert and tls_key must be set together (or neither)" });
    }
    if ((w.username === undefined) !== (w.password === undefined)) {
      ctx.addIssue({ code: "custom", path: ["username"], message: "username and password must be set together (or neither)" });
    }
    if (w.control && w.password === undefined) {
      // Switching contactors from a page anyone on the network can open is not an option.
      ctx.addIssue({ code: "custom", path: ["control"], message: "control = true needs username and password" });
    }
  });

export type WebSettings = z.infer<typeof webSection>;
