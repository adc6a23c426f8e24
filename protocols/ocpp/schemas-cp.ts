/** OCPP 1.6 actions initiated by the charge point (spec §4), request and reply. */
import { z } from "zod";
import { ciString, dateTime, empty, idTagInfo, idToken, int, meterValue, statusOnly } from "./schemas-common.ts";

export const bootNotificationReq = z
  .object({
    chargePointVendor: ciString(20),
    chargePointModel: ciString(20),
    chargePointSerialNumber: ciString(25).optional(),
    chargeBoxSerialNumber: ciString(25).optional(),
    firmwareVersion: ciString(50).optional(),
    iccid: ciString(20).optional(),
    imsi: ciString(20).optional(),
    meterType: ciString(25).optional(),
    meterSerialNumber: ciString(25).optional(),
  })
  .strict();
export const bootNotificationConf = z
  .object({ status: z.enum(["Accepted", "Pending", "Rejected"]), currentTime: dateTime, interval: int })
  .strict();

export const heartbeatReq = empty;
export const heartbeatConf = z.object({ currentTime: dateTime }).strict();

export const CHARGE_POINT_STATUSES = [
  "Available",
  "Preparing",
  "Charging",
  "SuspendedEVSE",
  "SuspendedEV",
  "Finishing",
  "Reserved",
  "Unavailable",
  "Faulted",
] as const;
export type ChargePointStatus = (typeof CHARGE_POINT_STATUSES)[number];

export const statusNotificationReq = z
  .object({
    connectorId: int.min(0),
    errorCode: z.enum([
      "ConnectorLockFailure",
      "EVCommunicationError",
      "GroundFailure",
      "HighTemperature",
      "InternalError",
      "LocalListConflict",
      "NoError",
      "OtherError",
      "OverCurrentFailure",
      "PowerMeterFailure",
      "PowerSwitchFailure",
      "ReaderFailure",
      "ResetFailure",
      "UnderVoltage",
      "OverVoltage",
      "WeakSignal",
    ]),
    info: ciString(50).optional(),
    status: z.enum(CHARGE_POINT_STATUSES),
    timestamp: dateTime.optional(),
    vendorId: ciString(255).optional(),
    vendorErrorCode: ciString(50).optional(),
  })
  .strict();
export const statusNotificationConf = empty;

export const authorizeReq = z.object({ idTag: idToken }).strict();
export const authorizeConf = z.object({ idTagInfo }).strict();

export const startTransactionReq = z
  .object({
    connectorId: int.min(1),
    idTag: idToken,
    meterStart: int,
    reservationId: int.optional(),
    timestamp: dateTime,
  })
  .strict();
export const startTransactionConf = z.object({ idTagInfo, transactionId: int }).strict();

export const STOP_REASONS = [
  "EmergencyStop",
  "EVDisconnected",
  "HardReset",
  "Local",
  "Other",
  "PowerLoss",
  "Reboot",
  "Remote",
  "SoftReset",
  "UnlockCommand",
  "DeAuthorized",
] as const;

export const stopTransactionReq = z
  .object({
    idTag: idToken.optional(),
    meterStop: int,
    timestamp: dateTime,
    transactionId: int,
    reason: z.enum(STOP_REASONS).optional(),
    transactionData: z.array(meterValue).optional(),
  })
  .strict();
export const stopTransactionConf = z.object({ idTagInfo: idTagInfo.optional() }).strict();

export const meterValuesReq = z
  .object({
    connectorId: int.min(0),
    transactionId: int.optional(),
    meterValue: z.array(meterValue).min(1),
  })
  .strict();
export const meterValuesConf = empty;

export const dataTransferReq = z
  .object({
    vendorId: ciString(255),
    messageId: ciString(50).optional(),
    data: z.string().optional(),
  })
  .strict();
export const dataTransferConf = z
  .object({
    status: z.enum(["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]),
    data: z.string().optional(),
  })
  .strict();

export const diagnosticsStatusNotificationReq = statusOnly(["Idle", "Uploaded", "UploadFailed", "Uploading"] as const);
export const firmwareStatusNotificationReq = statusOnly([
  "Downloaded",
  "DownloadFailed",
  "Downloading",
  "Idle",
  "InstallationFailed",
  "Installing",
  "Installed",
] as const);

/** Security extension (1.6 white paper); only this one is answered, the others get NotSupported. */
export const securityEventNotificationReq = z
  .object({ type: ciString(50), timestamp: dateTime, techInfo: ciString(255).optional() })
  .strict();

export const CP_INITIATED = {
  BootNotification: { request: bootNotificationReq, response: bootNotificationConf },
  Heartbeat: { request: heartbeatReq, response: heartbeatConf },
  StatusNotification: { request: statusNotificationReq, response: statusNotificationConf },
  Authorize: { request: authorizeReq, response: authorizeConf },
  StartTransaction: { request: startTransactionReq, response: startTransactionConf },
  StopTransaction: { request: stopTransactionReq, response: stopTransactionConf },
  MeterValues: { request: meterValuesReq, response: meterValuesConf },
  DataTransfer: { request: dataTransferReq, response: dataTransferConf },
  DiagnosticsStatusNotification: { request: diagnosticsStatusNotificationReq, response: empty },
  FirmwareStatusNotification: { request: firmwareStatusNotificationReq, response: empty },
  SecurityEventNotification: { request: securityEventNotificationReq, response: empty },
} as const;

export type CpAction = keyof typeof CP_INITIATED;
export type CpRequest<A extends CpAction> = z.infer<(typeof CP_INITIATED)[A]["request"]>;
export type CpResponse<A extends CpAction> = z.infer<(typeof CP_INITIATED)[A]["response"]>;

/** Recognised 1.6 security-extension actions we do not support (answered NotSupported, spec §4). */
export const CP_KNOWN_UNSUPPORTED = ["SignCertificate", "SignedFirmwareStatusNotification", "LogStatusNotification"] as const;
