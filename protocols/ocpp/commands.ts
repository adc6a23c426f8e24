/** Command names and argument spelling: ocpp2mqtt's snake_case (spec §7.7) ↔ OCPP's camelCase. */
import { CS_ACTIONS, type CsAction, isCsAction } from "./schemas.ts";

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function camelToSnake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** Renames object keys at every depth (arrays included); values are left alone. */
export function convertKeys(v: unknown, f: (k: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => convertKeys(x, f));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k), convertKeys(x, f)]));
  }
  return v;
}

const SNAKE: ReadonlyMap<string, CsAction> = new Map<string, CsAction>([
  ...CS_ACTIONS.map((a): [string, CsAction] => [camelToSnake(a), a]),
  // ocpp2mqtt's name for GetLocalListVersion (spec §7.7); the regular one works too.
  ["get_local_version", "GetLocalListVersion"],
]);

export interface ResolvedAction {
  action: CsAction;
  /** Whether the caller spelled it in snake_case (then args and results are snake_case too). */
  snake: boolean;
}

/** `reset`, `Reset` → Reset; unknown names give undefined. */
export function resolveAction(name: string): ResolvedAction | undefined {
  if (isCsAction(name)) return { action: name, snake: false };
  const a = SNAKE.get(name);
  return a ? { action: a, snake: true } : undefined;
}

export function compatActionNames(): string[] {
  return [...SNAKE.keys()];
}
