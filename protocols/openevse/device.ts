// One configured OpenEVSE controller as the hub sees it. It outlives links: claims, limits, divert
// and the switch guard survive a USB unplug or a TCP drop. Each link's session events come in
// through `sink()`; commands from `/set`, `/request` and the compatible topics come in through the
// action table and end in the claims, which control.ts turns into RAPI.
import { dispatch } from "../../lib/actions.ts";
import { CommandError, errorMessage } from "../../lib/errors.ts";
import { framed, type Link } from "../../lib/link.ts";
import type { Logger } from "../../lib/log.ts";
import { countedCodec } from "../../lib/metrics.ts";
import type { MqttLink } from "../../lib/mqtt.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { Capabilities, ChargerDriver, ChargerHandle, ChargerRegistry } from "../../lib/protocol.ts";
import { openevseActions } from "./actions.ts";
import { type Claim, type ClaimChange, CLIENT, findClaim, PRIORITY, releaseAutoRelease, releaseClaim, setClaim } from "./claims.ts";
import { rapiHostCodec } from "./codec.ts";
import * as C from "./commands.ts";
import { OpenEvseCompat } from "./compat.ts";
import { announceTopic, type ControllerConfig } from "./config.ts";
import { OpenEvseControl } from "./control.ts";
import { gatewayConfig } from "./gateway-config.ts";
import { claimPayload, limitPayload, overridePayload, publishedTopics } from "./gateway-topics.ts";
import { subscribeInputs } from "./inputs.ts";
import { Monitor } from "./monitor.ts";
import { type DeviceFacts, chargeCurrentA, detailDocument, gatewayStatus, normalizeView, sessionWh } from "./normalize.ts";
import { type DeviceCore, Operations, type Outcome } from "./operations.ts";
import { RapiSession, type SessionEvent } from "./session.ts";
import { SHAPER_TICK_MS } from "./shaper.ts";
import { Site } from "./site.ts";
import { emptyView, type ControllerView } from "./view.ts";

/** Argumentless actions worth a button in Home Assistant (enable/sleep are the switch already). */
const BUTTONS = ["status", "override_toggle", "override_clear", "claim_release", "limit_clear", "release"];

export interface DeviceEnv {
  cfg: ControllerConfig;
  /** The compatible layout's base topic. */
  compatBase: string;
  hub: ChargerRegistry;
  mqtt: MqttLink;
  /** The normalized layout's base (`[mqtt] base_topic`), for command errors of the compatible topics. */
  mqttBase: string;
  log: Logger;
  clock?: () => number;
}

export class OpenEvseDevice implements ChargerDriver, DeviceCore {
  readonly control: OpenEvseControl;
  readonly site: Site;
  private readonly compat: OpenEvseCompat | undefined;
  private live: { session: RapiSession; monitor: Monitor } | undefined;
  private handle: ChargerHandle | undefined;
  private current: ControllerView = emptyView();
  private timer: ReturnType<typeof setInterval> | undefined;
  private claimsVersion = 0;
  private configVersion = 0;
  private configDoc = "";
  private readonly ops = new Operations(this);
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly env: DeviceEnv) {
    const c = env.cfg;
    this.clock = env.clock ?? Date.now;
    this.log = env.log.child({ charger: c.name });
    this.control = new OpenEvseControl({ minA: c.min_current_a, maxA: c.max_current_a, switchIntervalMs: c.switch_min_interval_s * 1000, defaultState: c.default_state, pauseUsesDisabled: c.pause_uses_disabled, now: this.clock }, this.log);
    this.site = new Site(c, this.clock);
    this.compat = c.compatible
      ? new OpenEvseCompat(env.mqtt, { base: env.compatBase, announceTopic: announceTopic(c), name: c.name, retained: c.retained, legacy: c.legacy_topics, fullRapi: c.full_rapi, rapiOutPerCommand: c.rapi_out_per_command, errorTopic: `${env.mqttBase}/${c.name}/response` }, this.log)
      : undefined;
  }

  get name(): string {
    return this.env.cfg.name;
  }

  get cfg(): ControllerConfig {
    return this.env.cfg;
  }

  view(): ControllerView {
    return this.current;
  }

  start(): void {
    this.compat?.start((action, args) => this.request(action, args));
    subscribeInputs(this.env.mqtt, this.env.cfg, { power: (k, w) => this.onPower(k, w), livePower: (w) => this.onLivePower(w), voltage: (v) => this.onVrms(v) }, this.log);
    if (this.site.shaper) this.timer = setInterval(() => this.shaperTick(), SHAPER_TICK_MS);
    if (this.env.cfg.divert_mode === 2) void this.ops.divertMode(2).catch(() => {});
    void this.compat?.announce(false);
    void this.publishClaims();
    void this.publishConfig();
  }

  /** `<b>/config` and `<b>/config_version`: at start, and again once the controller's versions are known. */
  private async publishConfig(): Promise<void> {
    if (!this.compat) return;
    const c = this.env.cfg;
    const doc = gatewayConfig(c, this.env.compatBase, announceTopic(c), this.current);
    if (doc === this.configDoc) return;
    this.configDoc = doc;
    await this.compat.retainedJson("config", doc);
    await this.compat.retainedJson("config_version", String(++this.configVersion));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.live?.session.close("bridge shutting down");
    await this.compat?.announce(false);
  }

  /** One link's life: session and monitor on it, events into this device until it closes. */
  async run(link: Link): Promise<void> {
    const c = this.env.cfg;
    const session = new RapiSession(framed(link, countedCodec(rapiHostCodec, "openevse", (f) => f.kind === "bad")), { replyTimeoutMs: c.reply_timeout_ms, offlineAfterMisses: c.offline_after_misses }, this.log);
    const monitor = new Monitor(session, { heartbeatIntervalS: c.heartbeat_interval_s, heartbeatCurrentA: c.heartbeat_current_a, fullDumpS: c.full_dump_s, now: this.clock }, this.log);
    const done = session.events.pipeTo(this.sink(session, monitor));
    monitor.start();
    await done.catch((err: unknown) => this.log.warn("controller link failed", { error: errorMessage(err) }));
    monitor.stop();
    if (this.live?.session === session) await this.offline("link closed");
    if (this.live?.session === session) this.live = undefined;
  }

  private sink(session: RapiSession, monitor: Monitor): WritableStream<SessionEvent> {
    return new WritableStream<SessionEvent>({
      write: async (ev) => {
        switch (ev.kind) {
          case "up":
            this.live = { session, monitor };
            this.current = ev.view;
            this.control.forget();
            await this.online();
            await this.publishConfig();
            await this.publish(true);
            // Not awaited: the replies it waits for come through this very stream.
            void this.applyTarget(true);
            return;
          case "view":
            if (this.live?.session !== session) return;
            this.current = ev.view;
            return this.onView(ev.dump);
          case "answering":
            if (this.live?.session !== session) return;
            if (!ev.answering) return this.offline("not answering");
            if (!monitor.isUp) return;
            await this.online();
            // It may have rebooted unseen: the intent goes out again in full.
            this.control.forget();
            void this.applyTarget(true);
            return;
          case "notification":
            this.log.info("controller notification", { notification: ev.notification.type === "unknown" ? ev.notification.code : ev.notification.type });
            return;
          case "bad":
            this.log.debug("bad line from the controller", { error: ev.message });
            return;
          case "closed":
            this.log.info("controller link closed", { reason: ev.reason });
        }
      },
    });
  }

  private async online(): Promise<void> {
    if (this.handle) return;
    const v = this.current;
    this.handle = this.env.hub.attach(this.name, { protocol: "openevse", name: this.name, manufacturer: "OpenEVSE", model: "OpenEVSE controller", sw_version: v.firmware ?? undefined, capabilities: this.capabilities() }, this);
    await this.compat?.announce(true);
  }

  private async offline(reason: string): Promise<void> {
    if (!this.handle) return;
    this.log.warn("controller offline", { reason });
    this.handle.detach();
    this.handle = undefined;
    await this.compat?.announce(false);
    await this.compat?.status(gatewayStatus(this.current, this.facts()), false);
  }

  capabilities(): Capabilities {
    const c = this.env.cfg;
    return { power: true, energy: true, temperature: true, enable: true, plug: true, currentLimit: { min: c.min_current_a, max: c.max_current_a, step: 1 }, buttons: BUTTONS };
  }

  private facts(): DeviceFacts {
    return {
      voltageV: this.site.voltage(),
      threePhase: this.env.cfg.three_phase,
      integratedWh: this.site.integratedWh,
      target: this.control.target(this.current),
      divertMode: this.site.divert.mode,
      manualOverride: findClaim(this.control.claims, CLIENT.manual) !== undefined,
      answering: this.handle !== undefined,
      tempMax: this.site.tempMax,
      totalSwitches: this.site.totalSwitches,
      limitSet: this.site.limit !== null,
      now: this.clock(),
    };
  }

  /** Both layouts from the current view; resolves once MQTT has them (the link's back-pressure). */
  private async publish(full: boolean): Promise<void> {
    const f = this.facts();
    if (this.handle) {
      this.handle.seen();
      await this.handle.update(normalizeView(this.current, f));
      await this.handle.detail("openevse", detailDocument(this.current, { claims: this.control.claims, divert_mode: f.divertMode, shaper: this.site.shaper?.isEnabled ?? null, limit: this.site.limit }));
    }
    const legacy: [string, string][] = this.env.cfg.legacy_topics ? [["freeram", String(freeHeap())]] : [];
    await this.compat?.status(gatewayStatus(this.current, f), full, full ? legacy : []);
  }

  private async onView(full: boolean): Promise<void> {
    const v = this.current;
    const t = this.site.observe(v);
    if (t.unplugged) {
      this.control.automatic(v, releaseAutoRelease);
      if (!this.site.limit) this.control.automatic(v, (cs) => releaseClaim(cs, CLIENT.limit));
      await this.publishClaims();
    }
    await this.checkLimit();
    await this.publish(full);
    void this.applyTarget(false);
  }

  async checkLimit(): Promise<void> {
    const held = findClaim(this.control.claims, CLIENT.limit) !== undefined;
    if (held || !this.site.limitReached(this.current, sessionWh(this.current, this.site))) return;
    const l = this.site.limit;
    this.log.info("session limit reached; charging stops", { limit: l?.type, value: l?.value });
    this.control.automatic(this.current, (cs) => setClaim(cs, { client: CLIENT.limit, priority: PRIORITY.limit, props: { state: "disabled", auto_release: l?.auto_release ?? true } }));
    await this.publishClaims();
  }

  applyTarget(force = false): Promise<void> {
    const m = this.live?.monitor;
    if (!m?.isUp) return Promise.resolve();
    return this.control.apply(m, force).then(
      () => {},
      (err: unknown) => this.log.warn("could not apply the target", { error: errorMessage(err) }),
    );
  }

  /** Retained JSON topics and their version counters (§10.3): the acknowledgement of every claim command. */
  private async publishClaims(): Promise<void> {
    if (!this.compat) return;
    const over = overridePayload(this.control.props(CLIENT.manual));
    const claim = claimPayload(findClaim(this.control.claims, CLIENT.mqtt) ?? null);
    const limit = limitPayload(this.site.limit);
    this.claimsVersion++;
    await this.compat.retainedJson("override", over);
    await this.compat.retainedJson("claim", claim);
    await this.compat.retainedJson("limit", limit);
    await this.compat.retainedJson("schedule", "[]");
    await this.compat.values([["claims_version", String(this.claimsVersion)]]);
  }

  monitor(): Monitor {
    const m = this.live?.monitor;
    if (!m?.isUp || !this.live?.session.answering) throw new CommandError(`controller "${this.name}" is not answering`);
    return m;
  }

  reopen(reason: string): boolean {
    if (!this.live) return false;
    this.live.session.close(reason);
    return true;
  }

  values(pairs: [string, string][]): Promise<void> {
    return this.compat?.values(pairs) ?? Promise.resolve();
  }

  async commandClaims(what: string, change: (cs: readonly Claim[]) => Claim[]): Promise<Outcome> {
    this.control.command(this.current, what, change);
    await this.publishClaims();
    await this.publish(false);
    const m = this.live?.monitor;
    const t = this.control.target(this.current);
    if (!m?.isUp) return { state: t.state, current_a: t.chargeCurrentA, sent: [] };
    return this.control.apply(m);
  }

  claimChange(client: string, change: ClaimChange | null): void {
    if (!change) return;
    this.control.automatic(this.current, (cs) => (change.action === "release" ? releaseClaim(cs, client) : setClaim(cs, { client, priority: change.priority, props: change.props })));
  }

  // ---- inputs (§10.6, §11) ----

  private onPower(kind: "grid" | "solar", watts: number): void {
    const v = this.current;
    const ctx = { voltage: this.site.voltage(), amps: chargeCurrentA(v) ?? 0, minCurrentA: v.minA ?? this.env.cfg.min_current_a, pilotA: v.pilotA ?? 0, targetState: this.control.target(v).state, evseState: v.state ?? 0 };
    const step = this.site.divert.input(kind, watts, ctx);
    if (!step) return;
    this.claimChange(CLIENT.divert, step.claim);
    void this.compat?.values(publishedTopics(step.publish));
    if (step.claim) void this.publishClaims().then(() => this.applyTarget(false));
  }

  private onLivePower(watts: number): void {
    const solar = this.site.divert.mode === 2 && this.env.cfg.solar_topic !== undefined ? this.site.divert.solar : 0;
    this.site.shaper?.livePower(watts, { voltage: this.site.voltage(), amps: chargeCurrentA(this.current) ?? 0, solarW: solar });
  }

  private shaperTick(): void {
    const s = this.site.shaper;
    if (!s) return;
    const step = s.tick(this.current.minA ?? this.env.cfg.min_current_a);
    this.claimChange(CLIENT.shaper, step.claim);
    if (Object.keys(step.publish).length > 0) void this.compat?.values(publishedTopics(step.publish));
    if (step.claim) void this.applyTarget(false);
  }

  private onVrms(volts: number): void {
    const f = this.current.features;
    if (!this.site.setVrms(volts) || !f?.setVoltage || !this.live?.monitor.isUp) return;
    this.live.monitor.control(C.setVoltage(Math.round(volts * 1000), f)).catch((err: unknown) => this.log.debug("$SV failed", { error: errorMessage(err) }));
  }

  // ---- commands ----

  set(cmd: SetCommand): Promise<unknown> {
    return this.ops.set(cmd);
  }

  request(action: string, args: Record<string, unknown>): Promise<unknown> {
    return dispatch(openevseActions, action, args, this.ops);
  }
}

function freeHeap(): number {
  const m = process.memoryUsage();
  return Math.max(0, m.heapTotal - m.heapUsed);
}
