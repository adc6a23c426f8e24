// HTTP Basic authentication for the status page. Credentials are compared as SHA-256 digests with
// a constant-time comparison, so neither their content nor their length leaks through timing.
import { createHash, timingSafeEqual } from "node:crypto";

export interface Credentials {
  username: string;
  password: string;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** The header that asks a browser for credentials. */
export const CHALLENGE = 'Basic realm="evse2mqtt", charset="UTF-8"';

/** The user name and password of an `Authorization: Basic …` header, or undefined when it is none. */
export function parseBasic(header: string | null): Credentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** A checker for one pair of credentials; the expected digests are computed once. */
export function basicAuth(expected: Credentials): (header: string | null) => boolean {
  const user = digest(expected.username);
  const pass = digest(expected.password);
  return (header) => {
    const given = parseBasic(header);
    if (!given) return false;
    // Both halves are always compared: a right user name must take as long as a wrong one.
    const userOk = timingSafeEqual(digest(given.username), user);
    const passOk = timingSafeEqual(digest(given.password), pass);
    return userOk && passOk;
  };
}
