// GOOSE on a raw Ethernet socket for one dispenser (spec §6): each connector's current frame (what
// its state machine asks for) goes to the PSU MAC, signed with the connector's HMAC key, re-sent on
// every change with a new stNum and repeated after 2, 2, 4, 8 ms and then every second. Replies
// from the PSU move a connector out of ConnectedNoAllocation.
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { RawEthernet } from "../../lib/raw-ethernet.ts";
import { buildFrame } from "./goose/build.ts";
import { ReplyResult } from "./goose/datasets.ts";
import { receiveFrame } from "./goose/receive.ts";
import { Retransmitter } from "./goose/retransmit.ts";
import type { LocalConnector } from "./register-map.ts";
import type { SecretBytes } from "./secret.ts";
import type { GoosePort, PsuUnit, UnitConnector } from "./unit.ts";

export class GooseLink implements GoosePort {
  sent = 0;
  replies = 0;
  rejected = 0;
  private readonly senders = new Map<LocalConnector, Retransmitter>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private destination: Uint8Array | undefined;
  private closed = false;
  private sendErrorLogged = false;

  constructor(private readonly unit: PsuUnit, private readonly raw: RawEthernet, private readonly log: Logger, private readonly now: () => number = Date.now) {
    for (const c of unit.connectors) {
      this.senders.set(c.local, new Retransmitter());
      // The PSU addresses its replies to this MAC (0x114D+o).
      unit.store.setConnector(c.local, "dispenserMac", raw.mac);
    }
    raw.onFrame((f) => this.receive(f));
  }

  resend(c: LocalConnector): void {
    this.senders.get(c)?.restart(this.now());
    this.pump();
  }

  resendAll(): void {
    const t = this.now();
    for (const r of this.senders.values()) r.restart(t);
    this.pump();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.raw.close();
  }

  private keyOf(c: UnitConnector): SecretBytes | undefined {
    const key = this.unit.store.connector(c.local, "hmacKey");
    return this.unit.store.connectorKnown(c.local, "hmacKey") && !key.isZero() ? key : undefined;
  }

  /** The PSU MAC from 0x2111; the last one is kept while the link is down so stops still reach it. */
  private psuMac(): Uint8Array | undefined {
    if (this.unit.store.unitKnown("psuMac")) {
      const mac = this.unit.store.unit("psuMac");
      if (mac.some((b) => b !== 0)) this.destination = mac;
    }
    return this.destination;
  }

  /** Sends every frame that is due and sleeps until the next one. */
  private pump(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const t = this.now();
    const destination = this.psuMac();
    let next = Number.POSITIVE_INFINITY;
    for (const c of this.unit.connectors) {
      const r = this.senders.get(c.local);
      if (!r) continue;
      const message = c.machine.goose();
      const key = this.keyOf(c);
      // Signed GOOSE only: without a key (or a PSU MAC) nothing at all may go out (spec §5.2).
      if (!message || !key || !destination) {
        r.stop();
        continue;
      }
      const send = r.take(t);
      if (send) {
        try {
          this.raw.send(buildFrame(message, send, t, { destination, source: this.raw.mac }, key));
          this.sent++;
          this.sendErrorLogged = false;
        } catch (err) {
          if (!this.sendErrorLogged) this.log.error("GOOSE frame could not be sent", { connector: c.cfg.global_connector_number, error: errorMessage(err) });
          this.sendErrorLogged = true;
        }
      }
      if (r.nextAt !== undefined) next = Math.min(next, r.nextAt);
    }
    if (next !== Number.POSITIVE_INFINITY) this.timer = setTimeout(() => this.pump(), Math.max(0, next - this.now()));
  }

  private receive(frame: Uint8Array): void {
    const r = receiveFrame(frame, {
      ownMac: this.raw.mac,
      allowInsecure: false,
      verifySigned: true,
      connector: (global) => {
        const c = this.unit.byGlobal(global);
        return c ? { key: this.keyOf(c) } : undefined;
      },
    });
    if (!r.accepted) {
      if (!r.ignored) {
        this.rejected++;
        this.log.debug("GOOSE frame refused", { reason: r.reason });
      }
      return;
    }
    const c = this.unit.byGlobal(r.reply.connector);
    if (!c) return;
    this.replies++;
    const success = r.reply.result === ReplyResult.success;
    if (!success) this.log.warn("PSU refused the module allocation: module_placeholder_allocation_failed", { connector: r.reply.connector });
    this.unit.apply(c, c.machine.allocationReply(success));
    void this.unit.publish();
  }
}
