// Bridge-level requests in zigbee2mqtt's style: `<base>/bridge/request/<name>` with a JSON body,
// answered on `<base>/bridge/response/<name>` with the transaction echoed.
import { action, dispatch, noArgs, type ActionTable } from "./actions.ts";
import { CommandError, errorMessage } from "./errors.ts";
import type { Hub } from "./hub.ts";
import { replyBody } from "./hub-commands.ts";
import type { Logger } from "./log.ts";
import type { MqttLink } from "./mqtt.ts";
import { z } from "zod";

export interface BridgeRequestContext {
  hub: Hub;
  /** `<base>/bridge/info`'s document. */
  info(): Record<string, unknown>;
}

export const bridgeActions: ActionTable<BridgeRequestContext> = {
  remove: action("forget a charger: its retained topics and Home Assistant device are cleared", z.object({ id: z.string().min(1) }).strict(), async (a, ctx) => {
    const entry = ctx.hub.list().find((c) => c.id === a.id);
    if (!entry) throw new CommandError(`unknown charger "${a.id}"`);
    if (entry.online) throw new CommandError(`charger "${a.id}" is connected; it would come back at once (disconnect it or stop its protocol first)`);
    await ctx.hub.remove(a.id);
    return { id: a.id, removed: true };
  }),
  republish_discovery: action("send Home Assistant discovery for every charger again", noArgs, async (_a, ctx) => ({ chargers: ctx.hub.republishDiscovery() })),
  info: action("the bridge's version, runtime, protocols and chargers", noArgs, async (_a, ctx) => ({ ...ctx.info(), chargers: ctx.hub.list() })),
};

const bodySchema = z.object({ transaction: z.union([z.string(), z.number()]).optional() }).passthrough();

export function serveBridgeRequests(mqtt: MqttLink, base: string, ctx: BridgeRequestContext, log: Logger): void {
  mqtt.subscribe(`${base}/bridge/request/+`, (topic, payload) => {
    const name = topic.split("/").at(-1) ?? "";
    const respond = (transaction: unknown, r: { data: unknown } | { error: string }) =>
      mqtt.publishJson(`${base}/bridge/response/${name}`, replyBody(transaction, r));
    let body: unknown;
    try {
      body = payload.length === 0 ? {} : JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return respond(undefined, { error: `payload is not valid JSON (${payload.length} bytes)` });
    }
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return respond(undefined, { error: "expected a JSON object" });
    const { transaction, ...args } = parsed.data;
    dispatch(bridgeActions, name, args, ctx).then(
      (data) => respond(transaction, { data }),
      (err: unknown) => {
        log.warn("bridge request failed", { request: name, error: errorMessage(err) });
        respond(transaction, { error: errorMessage(err) });
      },
    );
  });
}
