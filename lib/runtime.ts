// The one place that knows which JavaScript runtime we are on.
declare const Deno: { version: { deno: string }; addSignalListener?: (sig: string, fn: () => void) => void } | undefined;
declare const Bun: { version: string } | undefined;

export function runtimeName(): string {
  if (typeof Bun !== "undefined") return `bun ${Bun.version}`;
  if (typeof Deno !== "undefined") return `deno ${Deno.version.deno}`;
  return `node ${process.versions.node}`;
}

/** Calls `fn` once on SIGINT or SIGTERM. */
export function onShutdownSignal(fn: (signal: string) => void): void {
  let fired = false;
  const handler = (sig: string) => () => {
    if (fired) return;
    fired = true;
    fn(sig);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    if (process.platform === "win32" && sig === "SIGTERM") continue;
    process.on(sig, handler(sig));
  }
}

export function isDeno(): boolean {
  return typeof Deno !== "undefined";
}

export function isBun(): boolean {
  return typeof Bun !== "undefined";
}
