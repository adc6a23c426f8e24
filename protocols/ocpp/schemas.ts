/** Validation of OCPP 1.6 payloads and the 1.6 CALLERROR code for each kind of violation (spec §2.4–2.5). */
import type { z } from "zod";
import { CP_INITIATED, CP_KNOWN_UNSUPPORTED, type CpAction } from "./schemas-cp.ts";
import { CS_INITIATED, type CsAction } from "./schemas-cs.ts";

export type { CpAction, CpRequest, CpResponse } from "./schemas-cp.ts";
export type { CsAction, CsRequest, CsResponse } from "./schemas-cs.ts";
export { CP_INITIATED, CS_INITIATED };
export { CS_ACTIONS } from "./schemas-cs.ts";

/** 1.6J spellings ("FormationViolation", "OccurenceConstraintViolation") on 1.6 sessions (F13). */
export type ErrorCode16 =
  | "NotImplemented"
  | "NotSupported"
  | "InternalError"
  | "ProtocolError"
  | "SecurityError"
  | "FormationViolation"
  | "PropertyConstraintViolation"
  | "OccurenceConstraintViolation"
  | "TypeConstraintViolation"
  | "GenericError";

export const DESCRIPTIONS: Record<ErrorCode16, string> = {
  NotImplemented: "Requested Action is not known by receiver",
  NotSupported: "Requested Action is recognized but not supported by the receiver",
  InternalError: "An internal error occurred and the receiver was not able to process the requested Action successfully",
  ProtocolError: "Payload for Action is incomplete",
  SecurityError: "During the processing of Action a security issue occurred preventing receiver from completing the Action successfully",
  FormationViolation: "Payload for Action is syntactically incorrect or not conform the PDU structure for Action",
  PropertyConstraintViolation: "Payload is syntactically correct but at least one field contains an invalid value",
  OccurenceConstraintViolation: "Payload for Action is syntactically correct but at least one of the fields violates occurence constraints",
  TypeConstraintViolation: "Payload for Action is syntactically correct but at least one of the fields violates data type constraints",
  GenericError: "Any other error not covered by the previous ones",
};

export type Validation<T> = { ok: true; value: T } | { ok: false; code: ErrorCode16; message: string };

export function isCpAction(a: string): a is CpAction {
  return Object.hasOwn(CP_INITIATED, a);
}

export function isCsAction(a: string): a is CsAction {
  return Object.hasOwn(CS_INITIATED, a);
}

/** Any action name of OCPP 1.6 (core, profiles and security extension), whichever side sends it. */
export function isKnown16Action(a: string): boolean {
  return isCpAction(a) || isCsAction(a) || (CP_KNOWN_UNSUPPORTED as readonly string[]).includes(a) ||
    ["CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage", "GetInstalledCertificateIds", "GetLog",
      "InstallCertificate", "SignedUpdateFirmware"].includes(a);
}

function valueAt(root: unknown, path: PropertyKey[]): { parentIsObject: boolean; value: unknown } {
  let v: unknown = root;
  let parentIsObject = true;
  for (const p of path) {
    parentIsObject = v !== null && typeof v === "object";
    v = parentIsObject ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  }
  return { parentIsObject, value: v };
}

type Issue = z.core.$ZodIssue;

function codeFor(issue: Issue, root: unknown): ErrorCode16 {
  switch (issue.code) {
    case "invalid_type": {
      const at = valueAt(root, issue.path);
      return at.parentIsObject && at.value === undefined ? "ProtocolError" : "TypeConstraintViolation";
    }
    case "too_big":
    case "too_small":
      if (issue.origin === "string") return "TypeConstraintViolation";
      if (issue.origin === "array") return "OccurenceConstraintViolation";
      return "PropertyConstraintViolation";
    case "not_multiple_of":
      return "PropertyConstraintViolation";
    default:
      // unrecognized_keys, invalid_value (enum), invalid_format (date-time), unions
      return "FormationViolation";
  }
}

/** Issues a lenient session tolerates: vendor extras, overlong strings, unknown enum values and odd timestamps. */
function tolerated(issue: Issue): boolean {
  return (
    issue.code === "unrecognized_keys" ||
    issue.code === "invalid_value" ||
    issue.code === "invalid_format" ||
    ((issue.code === "too_big" || issue.code === "too_small") && issue.origin === "string")
  );
}

function describe(issue: Issue): string {
  const path = issue.path.length ? issue.path.map(String).join(".") : "(root)";
  return `${path}: ${issue.message}`;
}

/**
 * Strict by default. Lenient mode keeps only missing required fields and wrong types, and then hands
 * the payload on as sent (vendor fields included) since handlers read only the fields they know.
 */
export function validate(schema: z.ZodType, payload: unknown, lenient = false): Validation<Record<string, unknown>> {
  const r = schema.safeParse(payload);
  if (r.success) return { ok: true, value: r.data as Record<string, unknown> };
  const issues = lenient ? r.error.issues.filter((i) => !tolerated(i)) : r.error.issues;
  if (issues.length === 0) return { ok: true, value: payload as Record<string, unknown> };
  const first = issues[0]!;
  return { ok: false, code: codeFor(first, payload), message: issues.map(describe).join("; ") };
}
