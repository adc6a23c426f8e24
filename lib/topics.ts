/** Topic segments must not carry MQTT separators or wildcards; spaces confuse many tools. */
export function sanitizeSegment(s: string): string {
  const out = s.replace(/[/#+\s\u0000]/g, "_");
  return out.length > 0 ? out : "_";
}

/** MQTT filter matching with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
