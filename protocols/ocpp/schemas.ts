/** Validation of OCPP 1.6 payloads and the 1.6 CALLERROR code for each kind of violation (spec §2.4–2.5). */
import type { z } from "zod";
import { CP_INITIATED, CP_KNOWN_UNSUPPORTED, type CpAction, type CpRequest, type CpResponse } from "./schemas-cp.ts";
import { CS_INITIATED, type CsAction, type CsRequest, type CsResponse } from "./schemas-cs.ts";

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

/** A handled CALL from the charger with our reply, typed per action (switch on `action` to narrow). */
export type CpEventOf<A extends CpAction> = { [K in CpAction]: { action: K; request: CpRequest<K>; response: CpResponse<K> } }[A];
export type CpEvent = CpEventOf<CpAction>;

// The schemas by action, typed so that looking one up with a generic action keeps its type.
type Schemas<A extends string, T extends Record<A, unknown>> = { [K in A]: z.ZodType<T[K]> };
function bySide<A extends string, T extends Record<A, unknown>>(table: Schemas<A, T>): Schemas<A, T> {
  return table;
}

export const CP_REQUEST = bySide<CpAction, { [K in CpAction]: CpRequest<K> }>({
  BootNotification: CP_INITIATED.BootNotification.request,
  Heartbeat: CP_INITIATED.Heartbeat.request,
  StatusNotification: CP_INITIATED.StatusNotification.request,
  Authorize: CP_INITIATED.Authorize.request,
  StartTransaction: CP_INITIATED.StartTransaction.request,
  StopTransaction: CP_INITIATED.StopTransaction.request,
  MeterValues: CP_INITIATED.MeterValues.request,
  DataTransfer: CP_INITIATED.DataTransfer.request,
  DiagnosticsStatusNotification: CP_INITIATED.DiagnosticsStatusNotification.request,
  FirmwareStatusNotification: CP_INITIATED.FirmwareStatusNotification.request,
  SecurityEventNotification: CP_INITIATED.SecurityEventNotification.request,
});

export const CP_RESPONSE = bySide<CpAction, { [K in CpAction]: CpResponse<K> }>({
  BootNotification: CP_INITIATED.BootNotification.response,
  Heartbeat: CP_INITIATED.Heartbeat.response,
  StatusNotification: CP_INITIATED.StatusNotification.response,
  Authorize: CP_INITIATED.Authorize.response,
  StartTransaction: CP_INITIATED.StartTransaction.response,
  StopTransaction: CP_INITIATED.StopTransaction.response,
  MeterValues: CP_INITIATED.MeterValues.response,
  DataTransfer: CP_INITIATED.DataTransfer.response,
  DiagnosticsStatusNotification: CP_INITIATED.DiagnosticsStatusNotification.response,
  FirmwareStatusNotification: CP_INITIATED.FirmwareStatusNotification.response,
  SecurityEventNotification: CP_INITIATED.SecurityEventNotification.response,
});

export const CS_REQUEST = bySide<CsAction, { [K in CsAction]: CsRequest<K> }>({
  RemoteStartTransaction: CS_INITIATED.RemoteStartTransaction.request,
  RemoteStopTransaction: CS_INITIATED.RemoteStopTransaction.request,
  ChangeAvailability: CS_INITIATED.ChangeAvailability.request,
  ChangeConfiguration: CS_INITIATED.ChangeConfiguration.request,
  GetConfiguration: CS_INITIATED.GetConfiguration.request,
  Reset: CS_INITIATED.Reset.request,
  UnlockConnector: CS_INITIATED.UnlockConnector.request,
  TriggerMessage: CS_INITIATED.TriggerMessage.request,
  SetChargingProfile: CS_INITIATED.SetChargingProfile.request,
  ClearChargingProfile: CS_INITIATED.ClearChargingProfile.request,
  GetCompositeSchedule: CS_INITIATED.GetCompositeSchedule.request,
  ClearCache: CS_INITIATED.ClearCache.request,
  DataTransfer: CS_INITIATED.DataTransfer.request,
  ReserveNow: CS_INITIATED.ReserveNow.request,
  CancelReservation: CS_INITIATED.CancelReservation.request,
  GetLocalListVersion: CS_INITIATED.GetLocalListVersion.request,
  SendLocalList: CS_INITIATED.SendLocalList.request,
  UpdateFirmware: CS_INITIATED.UpdateFirmware.request,
  GetDiagnostics: CS_INITIATED.GetDiagnostics.request,
});

export const CS_RESPONSE = bySide<CsAction, { [K in CsAction]: CsResponse<K> }>({
  RemoteStartTransaction: CS_INITIATED.RemoteStartTransaction.response,
  RemoteStopTransaction: CS_INITIATED.RemoteStopTransaction.response,
  ChangeAvailability: CS_INITIATED.ChangeAvailability.response,
  ChangeConfiguration: CS_INITIATED.ChangeConfiguration.response,
  GetConfiguration: CS_INITIATED.GetConfiguration.response,
  Reset: CS_INITIATED.Reset.response,
  UnlockConnector: CS_INITIATED.UnlockConnector.response,
  TriggerMessage: CS_INITIATED.TriggerMessage.response,
  SetChargingProfile: CS_INITIATED.SetChargingProfile.response,
  ClearChargingProfile: CS_INITIATED.ClearChargingProfile.response,
  GetCompositeSchedule: CS_INITIATED.GetCompositeSchedule.response,
  ClearCache: CS_INITIATED.ClearCache.response,
  DataTransfer: CS_INITIATED.DataTransfer.response,
  ReserveNow: CS_INITIATED.ReserveNow.response,
  CancelReservation: CS_INITIATED.CancelReservation.response,
  GetLocalListVersion: CS_INITIATED.GetLocalListVersion.response,
  SendLocalList: CS_INITIATED.SendLocalList.response,
  UpdateFirmware: CS_INITIATED.UpdateFirmware.response,
  GetDiagnostics: CS_INITIATED.GetDiagnostics.response,
});

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
    v = v !== null && typeof v === "object" ? Reflect.get(v, p) : undefined;
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
export function validate<T>(schema: z.ZodType<T>, payload: unknown, lenient = false): Validation<T> {
  const r = schema.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  const issues = lenient ? r.error.issues.filter((i) => !tolerated(i)) : r.error.issues;
  const [first] = issues;
  if (first === undefined) {
    // Lenient only (spec §2.5): every required field is present with its type; what deviates
    // (vendor extras, long strings, unknown enum values, odd timestamps) is handed on as sent, and
    // the handlers treat enum fields with a default case.
    return { ok: true, value: payload as T };
  }
  return { ok: false, code: codeFor(first, payload), message: issues.map(describe).join("; ") };
}
