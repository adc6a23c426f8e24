// One table per protocol: action name → argument schema → handler. The same table validates and
// dispatches `/request`, lists the actions in errors and in the README, and tells Home Assistant
// which actions need no arguments (buttons).
import { z } from "zod";
import { CommandError } from "./errors.ts";
import { formatZodError } from "./zod-format.ts";

export interface Action<C> {
  readonly summary: string;
  readonly args: z.ZodType;
  /** Validates `args` against the schema first; never runs on input that failed validation. */
  run(args: unknown, ctx: C, name: string): Promise<unknown>;
}

export type ActionTable<C> = Readonly<Record<string, Action<C>>>;

/** No arguments at all: `{}` or absent. */
export const noArgs = z.object({}).strict();

export function action<S extends z.ZodType, C>(summary: string, args: S, handler: (a: z.output<S>, ctx: C) => Promise<unknown> | unknown): Action<C> {
  return {
    summary,
    args,
    run: async (raw, ctx, name) => {
      const parsed = args.safeParse(raw ?? {});
      if (!parsed.success) throw new CommandError(`invalid args for ${name}: ${formatZodError(parsed.error)}`);
      return handler(parsed.data, ctx);
    },
  };
}

/** Runs `name` from `table`; an unknown name is refused with the list of known ones. */
export function dispatch<C>(table: ActionTable<C>, name: string, args: unknown, ctx: C): Promise<unknown> {
  const a = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!a) return Promise.reject(new CommandError(`unknown action "${name}"; expected one of ${Object.keys(table).join(", ")}`));
  return a.run(args, ctx, name);
}

/** Name and summary of every action, for the README check and `bridge/request/info`. */
export function describeActions<C>(table: ActionTable<C>): { name: string; summary: string }[] {
  return Object.entries(table).map(([name, a]) => ({ name, summary: a.summary }));
}

/** Actions declared with `noArgs` (a button is enough to run them). */
export function argumentless<C>(table: ActionTable<C>): string[] {
  return Object.entries(table)
    .filter(([, a]) => a.args === noArgs)
    .map(([name]) => name);
}
