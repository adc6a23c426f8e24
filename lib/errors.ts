/** For a promise whose failure is reported elsewhere or cannot matter: `.catch(ignore)`. One shared function, not a new closure per call. */
export const ignore = (): void => {};

/** A command from MQTT that cannot be carried out; its message goes back to the sender verbatim. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** A charger sent something the codec or driver cannot accept. `fatal` means the stream cannot be trusted any more. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  constructor(message: string, readonly fatal = false) {
    super(message);
  }
}

/** One problem per entry: key path, offending value, what was expected. */
export interface ConfigIssue {
  path: string;
  value: unknown;
  expected: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly issues: ConfigIssue[]) {
    super(
      "invalid configuration:\n" +
        issues.map((i) => `  ${i.path || "(root)"}: ${i.expected} (got ${JSON.stringify(i.value) ?? "nothing"})`).join("\n"),
    );
  }
}

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
