/** `scheme://user:password@host` → `scheme://user:***@host`, wherever a URL is shown. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/\s]+):([^@/\s]+)@/, "//$1:***@");
}
