// The Dehne `/request` actions: the compatible commands under short names. The compatible layout
// (`to_dehneEVSE`) runs the same table, so both go through the same checks.
import { z } from "zod";
import { action, noArgs, type ActionTable } from "../../lib/actions.ts";
import { CommandError } from "../../lib/errors.ts";
import { contactorState, decodeBase64, firmwareSchema, pwmPercent } from "./compat-messages.ts";
import type { DehneControl } from "./control.ts";
import type { DehneSession } from "./session.ts";
import { firmwareCrcMatches, type ServerRequest } from "./wire.ts";

/** What an action needs: the live session and the charger's control state. */
export interface ActionContext {
  session: DehneSession;
  control: DehneControl;
}

async function send(ctx: ActionContext, req: ServerRequest): Promise<unknown> {
  const reply = await ctx.session.request(req);
  return reply?.type === "data" ? reply.data : { reply: reply?.type ?? null };
}

export const dehneActions: ActionTable<ActionContext> = {
  ping: action("ping the charger", noArgs, (_a, ctx) => send(ctx, { type: "ping" })),
  collect_data: action("read the data frame now", noArgs, (_a, ctx) => send(ctx, { type: "collect" })),
  set_pwm_percent: action(
    "set the pilot duty cycle (100 = no charging); the current it offers is clamped like current_limit_a and switching is rate-limited",
    z.object({ pwm_percent: pwmPercent }).strict(),
    (a, ctx) => ctx.control.rawPwm(a.pwm_percent, ctx.session),
  ),
  set_contactor_state: action(
    "close or open the contactor (rate-limited; nothing is sent when it is already so)",
    z.object({ contactor_state: contactorState }).strict(),
    (a, ctx) => ctx.control.rawContactor(a.contactor_state, ctx.session),
  ),
  firmware: action("upload a firmware image (base64, CRC-32 checked first)", firmwareSchema.strict(), async (a, ctx) => {
    const image = decodeBase64(a.firmware_data_base64);
    if (!firmwareCrcMatches(image, a.firmware_crc32)) {
      throw new CommandError(`firmware_crc32 ${a.firmware_crc32} does not match the image (${image.length} bytes); nothing sent`);
    }
    await ctx.session.request({ type: "firmware", crc32: a.firmware_crc32, image });
    // The charger never confirms (spec G13): success shows as a reconnect with a new firmware version.
    return { sent_bytes: image.length, note: "sent, not confirmed: the charger reboots and reconnects if the CRC matched" };
  }),
};
