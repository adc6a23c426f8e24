/**
 * `scheme://user:password@host` → `scheme://user:***@host`, wherever a URL is shown. The user info
 * runs to the last `@` before the path, so a password holding `@` is masked whole, and an empty user
 * (`mqtt://:pw@host`) is masked too.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (_m, scheme: string, info: string) => {
    const colon = info.indexOf(":");
    return colon < 0 ? `${scheme}${info}@` : `${scheme}${info.slice(0, colon)}:***@`;
  });
}
