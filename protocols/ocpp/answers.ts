// What the central system answers to each CP-initiated 1.6 action (spec §4): always Accepted where
// a bridge has no reason to refuse, idTags by the configured policy, unique transaction ids.
import type { OcppSection } from "./config.ts";
import { RpcError } from "./errors.ts";
import type { OcppStateStore } from "./persist.ts";
import type { AuthPolicy } from "./policy.ts";
import type { Answers } from "./session.ts";
import { nowUtc } from "./time.ts";

export interface AnswerDeps {
  cfg: OcppSection;
  policy: AuthPolicy;
  store: OcppStateStore;
  /** The charger's charging_enabled right now (Authorize and StartTransaction depend on it). */
  chargingEnabled(): boolean;
  /** Told when a connectorId is refused (the log names the charger). */
  onRefusedConnector(action: string, connectorId: number): void;
}

export function makeAnswers(d: AnswerDeps): Answers {
  const { cfg, policy, store } = d;
  // Each connector becomes a device in the hub: an invented connectorId must create nothing.
  const connector = (action: string, n: number) => {
    if (n <= cfg.max_connectors) return;
    d.onRefusedConnector(action, n);
    throw new RpcError("PropertyConstraintViolation", `connectorId ${n} is above max_connectors ${cfg.max_connectors}`);
  };
  return {
    BootNotification: (request) => ({ action: "BootNotification", request, response: { status: "Accepted", currentTime: nowUtc(), interval: cfg.heartbeat_interval_s } }),
    Heartbeat: (request) => ({ action: "Heartbeat", request, response: { currentTime: nowUtc() } }),
    Authorize: (request) => ({ action: "Authorize", request, response: { idTagInfo: { status: policy.authorize(request.idTag, d.chargingEnabled()) } } }),
    StartTransaction: (request) => {
      connector("StartTransaction", request.connectorId);
      const status = policy.startTransaction(request.idTag, d.chargingEnabled());
      return { action: "StartTransaction", request, response: { transactionId: store.nextTransactionId(), idTagInfo: { status } } };
    },
    StopTransaction: (request) => ({ action: "StopTransaction", request, response: { idTagInfo: { status: "Accepted" } } }),
    DataTransfer: (request) => ({ action: "DataTransfer", request, response: { status: cfg.data_transfer_status } }),
    StatusNotification: (request) => {
      connector("StatusNotification", request.connectorId);
      return { action: "StatusNotification", request, response: {} };
    },
    MeterValues: (request) => {
      connector("MeterValues", request.connectorId);
      return { action: "MeterValues", request, response: {} };
    },
    DiagnosticsStatusNotification: (request) => ({ action: "DiagnosticsStatusNotification", request, response: {} }),
    FirmwareStatusNotification: (request) => ({ action: "FirmwareStatusNotification", request, response: {} }),
    SecurityEventNotification: (request) => ({ action: "SecurityEventNotification", request, response: {} }),
  };
}
