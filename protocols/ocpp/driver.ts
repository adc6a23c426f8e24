/** One charge point's session: reads frames, answers its CALLs (spec §4), sends ours. */
import type { Logger } from "../../lib/log.ts";
import type { MessageLink } from "../../lib/link.ts";
import { frameStream } from "./codec.ts";
import type { OcppSection } from "./config.ts";
import type { OcppStateStore } from "./persist.ts";
import type { AuthPolicy } from "./policy.ts";
import { RpcError, RpcPeer } from "./rpc.ts";
import type { CpAction, CpRequest, CpResponse, CsAction, CsRequest, CsResponse } from "./schemas.ts";

/** A handled CALL from the charger together with our reply; consumers publish from it. */
export type CpEvent = { [A in CpAction]: { action: A; request: CpRequest<A>; response: CpResponse<A> } }[CpAction];

export interface SessionDeps {
  identity: string;
  conn: MessageLink;
  cfg: OcppSection;
  lenient: boolean;
  store: OcppStateStore;
  policy: AuthPolicy;
  log: Logger;
  chargingEnabled(): boolean;
  onEvent(s: Session, ev: CpEvent): void;
  onClose(s: Session, reason: string): void;
}

const utf8 = new TextEncoder();

/** Each WebSocket message is whole, so each decodes on its own. */
function messagesAsText(): TransformStream<Uint8Array, string> {
  const dec = new TextDecoder();
  return new TransformStream({ transform: (m, c) => c.enqueue(dec.decode(m)) });
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the format ocpp2mqtt publishes and chargers parse best. */
export function nowUtc(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class Session {
  readonly identity: string;
  readonly rpc: RpcPeer;
  readonly connectedAt = new Date();
  private closeReason: string | undefined;
  private ended = false;

  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private linkClosed = false;

  constructor(private deps: SessionDeps) {
    this.identity = deps.identity;
    this.writer = deps.conn.writable.getWriter();
    void deps.conn.closed.then(() => (this.linkClosed = true));
    this.rpc = new RpcPeer({
      send: (text) => {
        if (this.linkClosed) throw new Error("websocket is not open");
        this.writer.write(utf8.encode(text)).catch(() => {});
      },
      handle: (action, payload) => this.handle(action as CpAction, payload),
      callTimeoutMs: deps.cfg.call_timeout_s * 1000,
      lenient: () => deps.lenient,
      maxBadMessages: deps.cfg.max_bad_messages,
      onTooManyBad: () => this.close(1008, "too many bad messages", "too_many_bad_messages"),
      log: deps.log,
    });
  }

  get protocol(): string {
    return this.deps.conn.protocol || "ocpp1.6";
  }

  get remote(): string {
    return this.deps.conn.remote;
  }

  /** Runs until the socket closes. */
  async run(): Promise<void> {
    const reader = this.deps.conn.readable.pipeThrough(messagesAsText()).pipeThrough(frameStream(this.deps.cfg.max_message_bytes)).getReader();
    const closed = this.deps.conn.closed.then((c) => {
      this.closeReason ??= `connection_closed_${c.code}`;
    });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const room = this.rpc.receive(value);
        if (room) await room;
      }
    } catch (err) {
      this.closeReason ??= "connection_error";
      this.deps.log.debug("read loop ended", { error: String(err) });
    }
    await closed;
    this.end();
  }

  call<A extends CsAction>(action: A, payload: CsRequest<A>): Promise<CsResponse<A>> {
    return this.rpc.call(action, payload);
  }

  callRaw(action: CsAction, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.rpc.call(action, payload);
  }

  /** `why` becomes the compat `disconnect_reason`. */
  close(code: number, text: string, why: string): void {
    this.closeReason ??= why;
    this.deps.conn.close(text, code);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const reason = this.closeReason ?? "connection_closed";
    this.rpc.close(reason);
    this.deps.onClose(this, reason);
  }

  private emit(ev: CpEvent): void {
    try {
      this.deps.onEvent(this, ev);
    } catch (err) {
      // Publishing problems must never turn into CALLERRORs: chargers would resend forever (§3.6).
      this.deps.log.error("event handler failed", { action: ev.action, error: String(err) });
    }
  }

  private handle(action: CpAction, payload: Record<string, unknown>): Record<string, unknown> {
    const { cfg, policy, store } = this.deps;
    const enabled = this.deps.chargingEnabled();
    // Each connector becomes a device in the hub: an invented connectorId must create nothing.
    if (action === "StatusNotification" || action === "MeterValues" || action === "StartTransaction") {
      const n = (payload as { connectorId: number }).connectorId;
      if (n > cfg.max_connectors) {
        this.deps.log.warn("connectorId above max_connectors refused", { action, connector: n, max_connectors: cfg.max_connectors });
        throw new RpcError("PropertyConstraintViolation", `connectorId ${n} is above max_connectors ${cfg.max_connectors}`);
      }
    }
    switch (action) {
      case "BootNotification": {
        const response = { status: "Accepted" as const, currentTime: nowUtc(), interval: cfg.heartbeat_interval_s };
        this.emit({ action, request: payload as CpRequest<"BootNotification">, response });
        return response;
      }
      case "Heartbeat": {
        const response = { currentTime: nowUtc() };
        this.emit({ action, request: {}, response });
        return response;
      }
      case "Authorize": {
        const request = payload as CpRequest<"Authorize">;
        const response = { idTagInfo: { status: policy.authorize(request.idTag, enabled) } };
        this.emit({ action, request, response });
        return response;
      }
      case "StartTransaction": {
        const request = payload as CpRequest<"StartTransaction">;
        const response = { transactionId: store.nextTransactionId(), idTagInfo: { status: policy.startTransaction(request.idTag, enabled) } };
        this.emit({ action, request, response });
        return response;
      }
      case "StopTransaction": {
        const response = { idTagInfo: { status: "Accepted" as const } };
        this.emit({ action, request: payload as CpRequest<"StopTransaction">, response });
        return response;
      }
      case "DataTransfer": {
        const response = { status: cfg.data_transfer_status };
        this.emit({ action, request: payload as CpRequest<"DataTransfer">, response });
        return response;
      }
      case "StatusNotification":
        this.emit({ action, request: payload as CpRequest<"StatusNotification">, response: {} });
        return {};
      case "MeterValues":
        this.emit({ action, request: payload as CpRequest<"MeterValues">, response: {} });
        return {};
      case "DiagnosticsStatusNotification":
        this.emit({ action, request: payload as CpRequest<"DiagnosticsStatusNotification">, response: {} });
        return {};
      case "FirmwareStatusNotification":
        this.emit({ action, request: payload as CpRequest<"FirmwareStatusNotification">, response: {} });
        return {};
      case "SecurityEventNotification":
        this.emit({ action, request: payload as CpRequest<"SecurityEventNotification">, response: {} });
        return {};
    }
  }
}
