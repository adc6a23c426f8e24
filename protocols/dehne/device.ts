// One Dehne charger as the hub sees it: normalized state from its data frames, `/set` through its
// control (clamping, switch rate limit, safe stop), the `/request` action table. Keyed by serial,
// it outlives connections: limits and intent survive a reconnect.
import { dispatch } from "../../lib/actions.ts";
import { CommandError, errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { Capabilities, ChargerDriver, ChargerHandle, ChargerRegistry } from "../../lib/protocol.ts";
import { dehneActions } from "./actions.ts";
import type { DehneCompat } from "./compat.ts";
import { compatFromCharger, compatNewConnection } from "./compat-messages.ts";
import type { DehneConfig } from "./config.ts";
import { DehneControl } from "./control.ts";
import type { Handshake } from "./framing.ts";
import { normalizeData } from "./normalize.ts";
import type { DehneSession } from "./session.ts";
import type { ChargerMessage } from "./wire.ts";

export interface DeviceEnv {
  cfg: DehneConfig;
  hub: ChargerRegistry;
  compat: DehneCompat | undefined;
  log: Logger;
}

export class DehneDevice implements ChargerDriver {
  readonly control: DehneControl;
  readonly clientId: string;
  private session: DehneSession | undefined;
  private handle: ChargerHandle | undefined;
  /** When a frame last came (ms since the epoch), for forgetting chargers gone for good. */
  lastSeenAt = Date.now();
  private readonly log: Logger;

  constructor(readonly serial: string, private env: DeviceEnv) {
    const c = env.cfg;
    this.clientId = c.names[serial] ?? serial;
    this.log = env.log.child({ charger: this.clientId });
    this.control = new DehneControl({
      minA: c.min_current_a,
      maxA: c.max_current_a,
      switchIntervalMs: c.contactor_min_interval_s * 1000,
      stopDelayMs: c.stop_delay_s * 1000,
    });
  }

  get live(): DehneSession | undefined {
    return this.session;
  }

  private get calibration() {
    return this.env.cfg.calibration[this.serial] ?? this.env.cfg.calibration[this.clientId];
  }

  capabilities(): Capabilities {
    const cal = this.calibration;
    const measured = cal?.voltage !== undefined && cal.current !== undefined;
    return {
      power: measured,
      phases: measured,
      enable: true,
      currentLimit: { min: this.env.cfg.min_current_a, max: this.env.cfg.max_current_a, step: 1 },
      plug: true,
      buttons: ["ping", "collect_data"],
    };
  }

  /** A new connection for this serial; an older one is closed (a half-open socket must not keep commands, spec G12). */
  attach(session: DehneSession, h: Handshake): Promise<void> {
    const old = this.session;
    if (old && old !== session) {
      this.log.info("charger reconnected; replacing the older session", { old_remote: old.remote });
      this.session = undefined;
      old.close("replaced by a new connection from the same serial");
    }
    this.log.info("charger connected", { serial: this.serial, firmware: h.firmware, remote: session.remote });
    this.session = session;
    this.handle = this.env.hub.attach(this.serial, { protocol: "dehne", name: this.clientId, manufacturer: "Dehne", model: "Dehne-EVSE", sw_version: String(h.firmware), capabilities: this.capabilities() }, this);
    return this.env.compat?.publish(compatNewConnection(this.clientId, h.firmware)) ?? Promise.resolve();
  }

  /** Resolves once MQTT has the result, so a slow broker slows this charger's socket. */
  async onMessage(session: DehneSession, m: ChargerMessage): Promise<void> {
    if (session !== this.session || !this.handle) return;
    this.lastSeenAt = Date.now();
    this.handle.seen();
    const compat = this.env.compat?.publish(compatFromCharger(this.clientId, m));
    if (m.type === "data") {
      // The control only ever sets `contactor_state` on its copy (measurements are read, never
      // written): a shallow copy keeps the frame as received for the compat message, with less
      // garbage than a deep clone on a path every poll of every charger takes.
      this.control.last = { ...m.data };
      await this.handle.update(normalizeData(m.data, this.calibration));
      this.control.reconcile(session).catch((err: unknown) => this.log.warn("contactor reconcile failed", { error: errorMessage(err) }));
    }
    await compat;
  }

  detach(session: DehneSession, reason: string): void {
    this.log.info("charger disconnected", { reason });
    if (session !== this.session) return;
    this.session = undefined;
    this.lastSeenAt = Date.now();
    this.handle?.detach();
    this.handle = undefined;
    void this.env.compat?.publish({ message_type: "disconnected", client_id: this.clientId });
  }

  async set(cmd: SetCommand): Promise<unknown> {
    return this.control.set(cmd, this.need());
  }

  async request(action: string, args: Record<string, unknown>): Promise<unknown> {
    return dispatch(dehneActions, action, args, { session: this.need(), control: this.control });
  }

  private need(): DehneSession {
    if (!this.session) throw new CommandError(`charger "${this.clientId}" is not connected`);
    return this.session;
  }
}
