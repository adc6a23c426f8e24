// What can go wrong with a CALL, in both directions. Command paths reply with these messages;
// the compatible layout also shows their 1.6 error codes (cmd_response).
import { CommandError } from "../../lib/errors.ts";
import type { ErrorCode16 } from "./schemas.ts";

/** Thrown by an answer to the charger's CALL: the charger gets a CALLERROR with this code. */
export class RpcError extends Error {
  override name = "RpcError";
  constructor(readonly code: ErrorCode16, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** The charger answered our CALL with a CALLERROR (or with a reply that failed validation). */
export class CallError extends CommandError {
  override name = "CallError";
  constructor(readonly code: string, readonly description: string, readonly details: Record<string, unknown>) {
    super(`charger answered CALLERROR ${code}${description ? `: ${description}` : ""}`);
  }
}

/** No reply within the call timeout. */
export class CallTimeoutError extends CommandError {
  override name = "CallTimeoutError";
}

/** No live connection, or it ended before the reply came. */
export class NotConnectedError extends CommandError {
  override name = "NotConnectedError";
}

/** Arguments of a command failed validation (or a limit) before anything was sent. */
export class InvalidArgsError extends CommandError {
  override name = "InvalidArgsError";
  constructor(readonly code: ErrorCode16, message: string) {
    super(message);
  }
}

/** An action name that is neither an OCPP 1.6 CS action nor one of ours. */
export class UnknownActionError extends CommandError {
  override name = "UnknownActionError";
}
