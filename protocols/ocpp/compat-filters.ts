// Subscription filters of the compatible layout: one command must run once, even when a per-charger
// compat_base lies under the root filter (every matching subscription delivers it once more).

/** Whether every topic matching filter `b` also matches filter `a`. */
export function filterCovers(a: string, b: string): boolean {
  const fa = a.split("/");
  const fb = b.split("/");
  for (let i = 0; i < fa.length; i++) {
    if (fa[i] === "#") return true;
    if (i >= fb.length || fb[i] === "#") return false;
    if (fa[i] !== "+" && (fb[i] === "+" || fa[i] !== fb[i])) return false;
  }
  return fa.length === fb.length;
}

/** The filters minus duplicates and those another one already covers. */
export function withoutCovered(filters: string[]): string[] {
  const unique = [...new Set(filters)];
  return unique.filter((f, i) => !unique.some((g, j) => j !== i && filterCovers(g, f) && (!filterCovers(f, g) || j < i)));
}
