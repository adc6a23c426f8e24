// What the central system answers to each CP-initiated 1.6 action (spec §4): always Accepted where
// a bridge has no reason to refuse, idTags by the configured policy, unique transaction ids.
import type { OcppSection } from "./config.ts";
import { RpcError } from "./errors.ts";
import type { OcppStateStore } from "./persist.ts";
import type { AuthPolicy } from "./policy.ts";
import type { CpEventOf, CpRequest } from "./schemas.ts";
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

/**
 * A class rather than an object of closures: every session holds one, and methods on the
 * prototype cost a session nothing.
 */
class CentralAnswers implements Answers {
  constructor(private readonly d: AnswerDeps) {}

  /** Each connector becomes a device in the hub: an invented connectorId must create nothing. */
  private connector(action: string, n: number): void {
    const max = this.d.cfg.max_connectors;
    if (n <= max) return;
    this.d.onRefusedConnector(action, n);
    throw new RpcError("PropertyConstraintViolation", `connectorId ${n} is above max_connectors ${max}`);
  }

  BootNotification(request: CpRequest<"BootNotification">): CpEventOf<"BootNotification"> {
    return { action: "BootNotification", request, response: { status: "Accepted", currentTime: nowUtc(), interval: this.d.cfg.heartbeat_interval_s } };
  }

  Heartbeat(request: CpRequest<"Heartbeat">): CpEventOf<"Heartbeat"> {
    return { action: "Heartbeat", request, response: { currentTime: nowUtc() } };
  }

  Authorize(request: CpRequest<"Authorize">): CpEventOf<"Authorize"> {
    return { action: "Authorize", request, response: { idTagInfo: { status: this.d.policy.authorize(request.idTag, this.d.chargingEnabled()) } } };
  }

  StartTransaction(request: CpRequest<"StartTransaction">): CpEventOf<"StartTransaction"> {
    this.connector("StartTransaction", request.connectorId);
    const status = this.d.policy.startTransaction(request.idTag, this.d.chargingEnabled());
    return { action: "StartTransaction", request, response: { transactionId: this.d.store.nextTransactionId(), idTagInfo: { status } } };
  }

  StopTransaction(request: CpRequest<"StopTransaction">): CpEventOf<"StopTransaction"> {
    return { action: "StopTransaction", request, response: { idTagInfo: { status: "Accepted" } } };
  }

  DataTransfer(request: CpRequest<"DataTransfer">): CpEventOf<"DataTransfer"> {
    return { action: "DataTransfer", request, response: { status: this.d.cfg.data_transfer_status } };
  }

  StatusNotification(request: CpRequest<"StatusNotification">): CpEventOf<"StatusNotification"> {
    this.connector("StatusNotification", request.connectorId);
    return { action: "StatusNotification", request, response: {} };
  }

  MeterValues(request: CpRequest<"MeterValues">): CpEventOf<"MeterValues"> {
    this.connector("MeterValues", request.connectorId);
    return { action: "MeterValues", request, response: {} };
  }

  DiagnosticsStatusNotification(request: CpRequest<"DiagnosticsStatusNotification">): CpEventOf<"DiagnosticsStatusNotification"> {
    return { action: "DiagnosticsStatusNotification", request, response: {} };
  }

  FirmwareStatusNotification(request: CpRequest<"FirmwareStatusNotification">): CpEventOf<"FirmwareStatusNotification"> {
    return { action: "FirmwareStatusNotification", request, response: {} };
  }

  SecurityEventNotification(request: CpRequest<"SecurityEventNotification">): CpEventOf<"SecurityEventNotification"> {
    return { action: "SecurityEventNotification", request, response: {} };
  }
}

export function makeAnswers(d: AnswerDeps): Answers {
  return new CentralAnswers(d);
}
