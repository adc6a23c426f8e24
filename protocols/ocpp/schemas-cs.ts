/** OCPP 1.6 actions initiated by the central system (spec §5), request and reply. */
import { z } from "zod";
import {
  chargingProfile,
  chargingProfilePurpose,
  chargingRateUnit,
  chargingSchedule,
  ciString,
  dateTime,
  empty,
  idTagInfo,
  idToken,
  int,
  nonNegInt,
  statusOnly,
} from "./schemas-common.ts";
import { dataTransferConf, dataTransferReq } from "./schemas-cp.ts";

const acceptedRejected = statusOnly(["Accepted", "Rejected"] as const);

export const CS_INITIATED = {
  RemoteStartTransaction: {
    request: z.object({ connectorId: int.optional(), idTag: idToken, chargingProfile: chargingProfile.optional() }).strict(),
    response: acceptedRejected,
  },
  RemoteStopTransaction: {
    request: z.object({ transactionId: int }).strict(),
    response: acceptedRejected,
  },
  ChangeAvailability: {
    request: z.object({ connectorId: nonNegInt, type: z.enum(["Inoperative", "Operative"]) }).strict(),
    response: statusOnly(["Accepted", "Rejected", "Scheduled"] as const),
  },
  ChangeConfiguration: {
    request: z.object({ key: ciString(50), value: ciString(500) }).strict(),
    response: statusOnly(["Accepted", "Rejected", "RebootRequired", "NotSupported"] as const),
  },
  GetConfiguration: {
    request: z.object({ key: z.array(ciString(50)).optional() }).strict(),
    response: z
      .object({
        configurationKey: z
          .array(z.object({ key: ciString(50), readonly: z.boolean(), value: ciString(500).optional() }).strict())
          .optional(),
        unknownKey: z.array(ciString(50)).optional(),
      })
      .strict(),
  },
  Reset: {
    request: z.object({ type: z.enum(["Hard", "Soft"]) }).strict(),
    response: acceptedRejected,
  },
  UnlockConnector: {
    request: z.object({ connectorId: int.min(1) }).strict(),
    response: statusOnly(["Unlocked", "UnlockFailed", "NotSupported"] as const),
  },
  TriggerMessage: {
    request: z
      .object({
        requestedMessage: z.enum([
          "BootNotification",
          "DiagnosticsStatusNotification",
          "FirmwareStatusNotification",
          "Heartbeat",
          "MeterValues",
          "StatusNotification",
        ]),
        connectorId: int.min(0).optional(),
      })
      .strict(),
    response: statusOnly(["Accepted", "Rejected", "NotImplemented"] as const),
  },
  SetChargingProfile: {
    request: z.object({ connectorId: nonNegInt, csChargingProfiles: chargingProfile }).strict(),
    response: statusOnly(["Accepted", "Rejected", "NotSupported"] as const),
  },
  ClearChargingProfile: {
    request: z
      .object({
        id: int.optional(),
        connectorId: nonNegInt.optional(),
        chargingProfilePurpose: chargingProfilePurpose.optional(),
        stackLevel: nonNegInt.optional(),
      })
      .strict(),
    response: statusOnly(["Accepted", "Unknown"] as const),
  },
  GetCompositeSchedule: {
    request: z.object({ connectorId: nonNegInt, duration: int, chargingRateUnit: chargingRateUnit.optional() }).strict(),
    response: z
      .object({
        status: z.enum(["Accepted", "Rejected"]),
        connectorId: int.optional(),
        scheduleStart: dateTime.optional(),
        chargingSchedule: chargingSchedule.optional(),
      })
      .strict(),
  },
  ClearCache: { request: empty, response: acceptedRejected },
  DataTransfer: { request: dataTransferReq, response: dataTransferConf },
  ReserveNow: {
    request: z
      .object({
        connectorId: nonNegInt,
        expiryDate: dateTime,
        idTag: idToken,
        parentIdTag: idToken.optional(),
        reservationId: int,
      })
      .strict(),
    response: statusOnly(["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"] as const),
  },
  CancelReservation: {
    request: z.object({ reservationId: int }).strict(),
    response: acceptedRejected,
  },
  GetLocalListVersion: {
    request: empty,
    response: z.object({ listVersion: int }).strict(),
  },
  SendLocalList: {
    request: z
      .object({
        listVersion: int,
        localAuthorizationList: z.array(z.object({ idTag: idToken, idTagInfo: idTagInfo.optional() }).strict()).optional(),
        updateType: z.enum(["Differential", "Full"]),
      })
      .strict(),
    response: statusOnly(["Accepted", "Failed", "NotSupported", "VersionMismatch"] as const),
  },
  UpdateFirmware: {
    request: z
      .object({ location: z.string(), retries: int.optional(), retrieveDate: dateTime, retryInterval: int.optional() })
      .strict(),
    response: empty,
  },
  GetDiagnostics: {
    request: z
      .object({
        location: z.string(),
        retries: int.optional(),
        retryInterval: int.optional(),
        startTime: dateTime.optional(),
        stopTime: dateTime.optional(),
      })
      .strict(),
    response: z.object({ fileName: ciString(255).optional() }).strict(),
  },
} as const;

export type CsAction = keyof typeof CS_INITIATED;
export type CsRequest<A extends CsAction> = z.infer<(typeof CS_INITIATED)[A]["request"]>;
export type CsResponse<A extends CsAction> = z.infer<(typeof CS_INITIATED)[A]["response"]>;
const isCs = (k: string): k is CsAction => Object.hasOwn(CS_INITIATED, k);
export const CS_ACTIONS: CsAction[] = Object.keys(CS_INITIATED).filter(isCs);
