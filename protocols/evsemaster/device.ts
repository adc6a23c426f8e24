// One EVSEMaster charger as the hub sees it: the session's events become the view, the normalized
// state and the `<base>/<id>/evsemaster` detail document; `/set` and `/request` run on the action
// table with a narrow context, through the charger's one ChargeGuard.

import { argumentless, dispatch } from "../../lib/actions.ts";
import type { ChargeGuard } from "../../lib/guard.ts";
import type { Logger } from "../../lib/log.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { Capabilities, ChargerDriver, ChargerHandle, ChargerMeta, ChargerRegistry } from "../../lib/protocol.ts";
import { evsemasterActions } from "./actions.ts";
import { runSet } from "./charge.ts";
import type { ChargerConfig, EvsemasterConfig } from "./config.ts";
import type { ActionContext } from "./context.ts";
import { detail } from "./detail.ts";
import { phasesOf } from "./enums.ts";
import type { ConfigFetch } from "./fetch-config.ts";
import { ampsLimit, chargerGuard, MIN_AMPS } from "./limits.ts";
import { normalized } from "./normalize.ts";
import type { EvseSession } from "./session.ts";
import type { LinkState, SessionEvent } from "./session-types.ts";
import { type ChargerView, newView, storeInView } from "./view.ts";

export interface DeviceEnv {
  hub: ChargerRegistry;
  settings: EvsemasterConfig;
  log: Logger;
  now: () => number;
}

export class EvseDevice implements ChargerDriver {
  private readonly view: ChargerView;
  private readonly guard: ChargeGuard;
  private handle: ChargerHandle | undefined;
  /** The meta last attached with (the hub keeps it too), to re-attach only when it changed. */
  private attachedMeta: ChargerMeta | undefined;
  private readonly ctx: ActionContext;

  constructor(readonly serial: string, readonly cfg: ChargerConfig | undefined, session: EvseSession, private readonly env: DeviceEnv) {
    const view = newView(serial, cfg?.disabled ?? false, false, env.settings.time_zone);
    this.view = view;
    this.guard = chargerGuard(() => view.info?.maxCurrentA, cfg?.max_current_a, cfg?.cooldown_s ?? env.settings.cooldown_s, env.now);
    this.ctx = {
      session,
      guard: this.guard,
      settings: env.settings,
      charger: cfg,
      view,
      configFetched: (f) => this.configFetched(f),
      now: env.now,
    };
  }

  /** Where the session's events go, in order; each write resolves once MQTT has taken the result. */
  sink(): WritableStream<SessionEvent> {
    return new WritableStream<SessionEvent>(new DeviceSink(this));
  }

  set(cmd: SetCommand): Promise<unknown> {
    return runSet(this.ctx, cmd);
  }

  request(action: string, args: Record<string, unknown>): Promise<unknown> {
    return dispatch(evsemasterActions, action, args, this.ctx);
  }

  /** Without a usable PIN the bridge never logs in, so it can show nothing beyond the status. */
  capabilities(): Capabilities {
    const v = this.view;
    if (!v.hasPassword || v.disabled) return {};
    const max = ampsLimit(v.info?.maxCurrentA, this.cfg?.max_current_a);
    return {
      power: true,
      energy: true,
      temperature: true,
      // Single-phase units report L1 only: per-phase values are worth entities on three-phase models.
      phases: v.info ? phasesOf(v.info.deviceType) === 3 : false,
      enable: true,
      ...(max >= MIN_AMPS && { currentLimit: { min: MIN_AMPS, max, step: 1 } }),
      plug: true,
      buttons: argumentless(evsemasterActions),
    };
  }

  async onEvent(ev: SessionEvent): Promise<void> {
    switch (ev.kind) {
      case "state":
        return this.onState(ev.state, ev.fresh);
      case "message":
        this.handle?.seen();
        storeInView(this.view, ev.message);
        if (["beacon", "loginResponse", "name", "version"].includes(ev.message.type)) this.updateMeta();
        return this.publish();
      case "config":
        this.applyConfig(ev.fetch);
        return this.publish();
    }
  }

  private async onState(s: LinkState, fresh: boolean): Promise<void> {
    const v = this.view;
    const wasOnline = v.online;
    v.online = s.online;
    v.loggedIn = s.loggedIn;
    v.loginError = s.loginError;
    v.hasPassword = s.hasPin;
    v.endpoint = s.endpoint;
    v.foreignDropped = s.foreignDropped;
    // Status and session from before this login (an earlier session, another app's, a spoofer's) decide nothing.
    if (fresh) {
      v.status = null;
      v.session = null;
    }
    if (!wasOnline && v.online) {
      // The datagram that brought it online follows at once and publishes with what it tells.
      this.handle = this.env.hub.attach(this.serial, this.rememberMeta(), this);
      return;
    } else if (wasOnline && !v.online) {
      await this.publish(true);
      this.handle?.detach();
      this.handle = undefined;
      return;
    } else this.updateMeta();
    return this.publish();
  }

  private applyConfig(f: ConfigFetch): void {
    for (const m of f.replies) storeInView(this.view, m);
    this.view.config.fetchedAt = f.at;
  }

  private async configFetched(f: ConfigFetch): Promise<{ config: unknown; info: unknown }> {
    this.applyConfig(f);
    await this.publish();
    const doc = detail(this.view);
    return { config: doc.config, info: doc.info };
  }

  /** Normalized state through the hub, and the retained detail document when it changed. */
  private async publish(detailOnly = false): Promise<void> {
    const h = this.handle;
    if (!h) return;
    const text = JSON.stringify(detail(this.view));
    await Promise.all([detailOnly ? undefined : h.update(normalized(this.view)), h.detail("evsemaster", text)]);
  }

  private meta(): ChargerMeta {
    const i = this.view.info;
    return {
      protocol: "evsemaster",
      name: this.cfg?.name ?? (this.view.config.name || undefined),
      manufacturer: i?.brand || undefined,
      model: i?.model || undefined,
      sw_version: this.view.version?.softwareVersion || undefined,
      capabilities: this.capabilities(),
    };
  }

  private rememberMeta(): ChargerMeta {
    const meta = this.meta();
    this.attachedMeta = meta;
    return meta;
  }

  /** Re-attaching republishes Home Assistant discovery with what we now know about the device. */
  private updateMeta(): void {
    // Compared as JSON texts made now: a text kept per charger would cost memory for every one.
    if (!this.handle || JSON.stringify(this.meta()) === JSON.stringify(this.attachedMeta)) return;
    this.handle = this.env.hub.attach(this.serial, this.rememberMeta(), this);
  }
}

/** The session's events into the device: one small object rather than a closure per charger. */
class DeviceSink implements UnderlyingSink<SessionEvent> {
  constructor(private readonly device: EvseDevice) {}

  write(ev: SessionEvent): Promise<void> {
    return this.device.onEvent(ev);
  }
}
