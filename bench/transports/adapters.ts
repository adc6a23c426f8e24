// The implementations a transport bench compares, loaded in the child under the runtime it runs on:
// "native" is that runtime's own files (bun-*.ts, deno-*.ts) for every transport that has one,
// "node" the Node compatibility layer (node-*.ts), whichever lib/runtime/<runtime>.ts selects.
import { isBun } from "../../lib/runtime.ts";
import type { Sockets } from "../../lib/sockets.ts";
import { nativeParts } from "../../test/support/native-sockets.ts";

export type Kind = "native" | "node";
export type BenchAdapter = Partial<Pick<Sockets, "listenTcp" | "dialTcp" | "bindUdp" | "listenWebSocket" | "serveHttp" | "openSerial">>;

export async function loadAdapter(kind: Kind): Promise<BenchAdapter> {
  if (kind === "node") return (await import("../../lib/runtime/node.ts")).nodeSockets;
  return nativeParts();
}

export function need<K extends keyof BenchAdapter>(a: BenchAdapter, key: K): NonNullable<BenchAdapter[K]> {
  const f = a[key];
  if (!f) throw new Error(`no ${key} in this adapter`);
  return f;
}

/** Runs a full collection where the runtime lets us (bun; deno and node with --expose-gc). */
export function collect(): void {
  if (isBun()) return Bun.gc(true);
  const gc: unknown = Reflect.get(globalThis, "gc");
  if (typeof gc === "function") gc();
}

export const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
