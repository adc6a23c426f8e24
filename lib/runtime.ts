// The one place that knows which JavaScript runtime we are on.
declare const Deno: { version: { deno: string }; addSignalListener?: (sig: string, fn: () => void) => void } | undefined;
declare const Bun: { version: string; gc(force: boolean): void; unsafe?: { setJITPolicy?(scale: number): void } } | undefined;

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

/**
 * A synchronous full garbage collection, where the runtime offers one: Bun.gc on Bun (which also
 * tidies its allocator); on Deno and Node V8's gc(), exposed by flag at run time, on Deno followed
 * by glibc's malloc_trim. Undefined where neither works.
 */
export async function fullCollector(): Promise<(() => void) | undefined> {
  if (typeof Bun !== "undefined") {
    const bun = Bun;
    return () => bun.gc(true);
  }
  try {
    const [{ setFlagsFromString }, { runInNewContext }] = await Promise.all([import("node:v8"), import("node:vm")]);
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    if (typeof gc !== "function") return undefined;
    // Deno's malloc keeps what a burst freed outside the JS heap unless asked (deno-malloc-trim.ts).
    const trim = isDeno() ? (await import("./runtime/deno-malloc-trim.ts")).mallocTrimmer() : undefined;
    return () => {
      gc();
      trim?.();
    };
  } catch {
    return undefined;
  }
}

/**
 * How much more reluctant than normal the JIT is while the bridge starts (Bun only; the compiled
 * binary starts with the same scale, `--compile-jit-policy` in the Makefile). Start-up code runs
 * once: compiling it cost more CPU than it saved (binary start-up CPU ~85 → ~60 ms).
 */
export const STARTUP_JIT_POLICY = 64;

/** Bun: the JIT tier-up thresholds times `scale` from now on (1 = normal). Elsewhere nothing. */
export function setJitPolicy(scale: number): void {
  if (typeof Bun !== "undefined") Bun.unsafe?.setJITPolicy?.(scale);
}
