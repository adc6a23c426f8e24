// PEM files named in the configuration, read once at start-up with the key's name in the error.
import { readFileSync } from "node:fs";
import { errorMessage } from "./errors.ts";

/** The file's text; throws naming `key` (e.g. "[ocpp] tls_cert") when it cannot be read or holds no PEM block. */
export function readPem(path: string, key: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`${key}: cannot read ${path}: ${errorMessage(err)}`);
  }
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) throw new Error(`${key}: ${path} holds no PEM block`);
  return text;
}

/** `readPem` for an optional key: undefined when the key is unset or empty. */
export function readOptionalPem(path: string | undefined, key: string): string | undefined {
  return path ? readPem(path, key) : undefined;
}
