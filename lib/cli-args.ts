// The usual command lines (`-c FILE`, `--set k=v`, …) parsed without node:util: loading it costs
// the start-up ~2 ms and ~2 MiB of RSS. Anything unusual (bundled short flags, `--`, a value that
// looks like an option, a value given to a boolean) is left to node:util's parseArgs, which then
// either reads it the same way or words the error; test/lib/cli-args.test.ts checks both agree.

export interface ArgOption {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

export type ArgValues = Record<string, string | boolean | string[]>;

/** parseArgs's `values` for `args` (strict, no positionals), or undefined where parseArgs must decide. */
export function quickParse(args: readonly string[], options: Readonly<Record<string, ArgOption>>): ArgValues | undefined {
  const values: ArgValues = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      name = Object.keys(options).find((k) => options[k]?.short === arg[1]);
    }
    const spec = name === undefined ? undefined : options[name];
    if (name === undefined || spec === undefined || !Object.hasOwn(options, name)) return undefined;
    if (spec.type === "boolean") {
      if (inline !== undefined || spec.multiple) return undefined;
      values[name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith("-"))) return undefined;
    if (!spec.multiple) {
      values[name] = value;
      continue;
    }
    const list = values[name];
    values[name] = Array.isArray(list) ? [...list, value] : [value];
  }
  return values;
}
