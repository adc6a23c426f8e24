// What the commands mean for one controller: normalized `/set`, the claims of the compatible
// layout, divert, shaper, limits, restarts and raw RAPI. Every switch and current passes the one
// guard (through control.ts or passthrough.ts); answers `$NK` and timeouts become errors.
import { CommandError } from "../../lib/errors.ts";
import type { SetCommand } from "../../lib/normalized.ts";
import type { OpenEvseTarget } from "./actions.ts";
import { type Claim, type ClaimChange, CLIENT, mergeProps, PRIORITY, releaseClaim, setClaim } from "./claims.ts";
import type { Command } from "./codec.ts";
import * as C from "./commands.ts";
import { RapiRefusal } from "./compat.ts";
import type { ControllerConfig } from "./config.ts";
import { NORMALIZED_CLIENT, type OpenEvseControl } from "./control.ts";
import { applyOverride, type ClaimCommand, type OverrideCommand, type SessionLimit } from "./gateway-commands.ts";
import { publishedTopics } from "./gateway-topics.ts";
import type { Monitor } from "./monitor.ts";
import { parseRapiText, vetRapi } from "./passthrough.ts";
import { parseGS } from "./replies.ts";
import type { Site } from "./site.ts";
import { isActiveState, stateText } from "./states.ts";
import type { ControllerView } from "./view.ts";

export interface Outcome {
  state: string;
  current_a: number;
  sent: string[];
}

/** What the operations need of the device that owns them. */
export interface DeviceCore {
  readonly cfg: ControllerConfig;
  readonly control: OpenEvseControl;
  readonly site: Site;
  view(): ControllerView;
  /** The monitor of a link whose controller answers; a CommandError otherwise. */
  monitor(): Monitor;
  /** Closes the current link (the dialer opens it again); false when there is none. */
  reopen(reason: string): boolean;
  /** A claim change from a command: guarded, acknowledged on MQTT, then applied. */
  commandClaims(what: string, change: (cs: readonly Claim[]) => Claim[]): Promise<Outcome>;
  claimChange(client: string, change: ClaimChange | null): void;
  /** Compatible-layout values published as they are (versions, divert and shaper topics). */
  values(pairs: [string, string][]): Promise<void>;
  checkLimit(): Promise<void>;
  applyTarget(): Promise<void>;
}

export class Operations implements OpenEvseTarget {
  private readonly versions = { override: 0, limit: 0 };

  constructor(private readonly d: DeviceCore) {}

  private active(): boolean | undefined {
    const s = this.d.view().state;
    return s === null ? undefined : isActiveState(s);
  }

  async set(cmd: SetCommand): Promise<unknown> {
    this.d.monitor();
    const { control } = this.d;
    const patch: { state?: "active" | "disabled"; charge_current?: number } = {};
    let clampedFrom: number | undefined;
    if (cmd.current_limit_a !== undefined) {
      const g = control.guard.current(cmd.current_limit_a);
      // The controller's own maximum ($GC) lowers it further.
      const amps = Math.min(g.amps, control.targetLimits(this.d.view()).configuredMaxA);
      patch.charge_current = amps;
      if (amps !== cmd.current_limit_a) clampedFrom = cmd.current_limit_a;
    }
    if (cmd.enabled !== undefined) patch.state = cmd.enabled ? "active" : "disabled";
    const what = cmd.enabled === undefined ? "current_limit_a" : `enabled ${cmd.enabled}`;
    const a = await this.d.commandClaims(what, (cs) => control.withNormalized(cs, patch));
    return { enabled: a.state === "active", current_limit_a: a.current_a, ...(clampedFrom !== undefined ? { clamped_from: clampedFrom } : {}), sent: a.sent };
  }

  async status(): Promise<unknown> {
    const r = await this.d.monitor().control(C.get("GS"));
    if (!r.ok) throw new RapiRefusal(`controller answered ${r.text} to $GS`, r.text);
    const v = this.d.view();
    const s = v.features ? parseGS(r.fields, v.features) : null;
    return { reply: r.text, state: s?.state ?? null, state_text: s ? stateText(s.state) : null, elapsed_s: s?.elapsedS ?? null, pilot_state: s?.pilot ?? null, vflags: s?.vflags ?? null, firmware: v.firmware, rapi: v.protocol, target: this.d.control.target(v) };
  }

  async get(code: C.GetCode): Promise<unknown> {
    const r = await this.d.monitor().control(C.get(code, this.d.view().features ?? undefined));
    if (!r.ok) throw new RapiRefusal(`controller answered ${r.text} to $${code}`, r.text);
    return { reply: r.text, fields: r.fields };
  }

  releaseNormalized(): Promise<unknown> {
    return this.d.commandClaims("release", (cs) => releaseClaim(cs, NORMALIZED_CLIENT));
  }

  /** Currents in a claim pass the same clamp as current_limit_a (refused below the minimum). */
  private guarded<T extends { charge_current?: number | "clear"; max_current?: number | "clear" }>(p: T, what: string): T {
    const out = { ...p };
    for (const k of ["charge_current", "max_current"] as const) {
      const x = out[k];
      if (typeof x === "number") out[k] = this.d.control.guard.current(x, `${what} ${k}`).amps;
    }
    return out;
  }

  async override(cmd: OverrideCommand): Promise<unknown> {
    const { control } = this.d;
    const c: OverrideCommand = cmd.kind === "set" ? { kind: "set", patch: this.guarded(cmd.patch, "override") } : cmd;
    const next = applyOverride(control.props(CLIENT.manual), c, control.target(this.d.view()).state);
    const a = await this.d.commandClaims("override", (cs) => (next ? setClaim(cs, { client: CLIENT.manual, priority: PRIORITY.manual, props: next }) : releaseClaim(cs, CLIENT.manual)));
    await this.d.values([["override_version", String(++this.versions.override)]]);
    return { override: next, ...a };
  }

  async claim(cmd: ClaimCommand): Promise<unknown> {
    const next = cmd.kind === "release" ? null : mergeProps(this.d.control.props(CLIENT.mqtt) ?? {}, this.guarded(cmd.patch, "claim"));
    const a = await this.d.commandClaims("claim", (cs) => (next ? setClaim(cs, { client: CLIENT.mqtt, priority: PRIORITY.mqtt, props: next }) : releaseClaim(cs, CLIENT.mqtt)));
    return { claim: next, ...a };
  }

  async divertMode(mode: 1 | 2): Promise<unknown> {
    const divert = this.d.site.divert;
    const before = divert.mode;
    const step = divert.setMode(mode);
    const change = step.claim;
    try {
      const a = await this.d.commandClaims(`divertmode ${mode}`, (cs) => (!change ? [...cs] : change.action === "release" ? releaseClaim(cs, CLIENT.divert) : setClaim(cs, { client: CLIENT.divert, priority: change.priority, props: change.props })));
      await this.d.values(publishedTopics(step.publish));
      return { divert_mode: mode, ...a };
    } catch (err) {
      // Refused by the switch rate limit: the mode stays as it was.
      if (before !== mode) divert.setMode(before);
      throw err;
    }
  }

  async shaper(on: boolean): Promise<unknown> {
    const s = this.d.site.shaper;
    if (!s) throw new CommandError("no current shaper configured (set shaper_max_power_w and live_pwr_topic)");
    const step = s.setEnabled(on);
    this.d.claimChange(CLIENT.shaper, step.claim);
    await this.d.values(publishedTopics(step.publish));
    await this.d.applyTarget();
    return { shaper: on };
  }

  async limit(limit: SessionLimit | null): Promise<unknown> {
    const site = this.d.site;
    const before = site.limit;
    site.limit = limit;
    try {
      const a = await this.d.commandClaims(limit ? "limit" : "limit clear", (cs) => (limit ? [...cs] : releaseClaim(cs, CLIENT.limit)));
      await this.d.values([["limit_version", String(++this.versions.limit)]]);
      await this.d.checkLimit();
      await this.d.applyTarget();
      return { limit, ...a };
    } catch (err) {
      site.limit = before;
      throw err;
    }
  }

  async restart(device: "gateway" | "evse"): Promise<unknown> {
    if (device === "gateway") {
      if (!this.d.reopen("restart requested over MQTT")) throw new CommandError(`controller "${this.d.cfg.name}" is not connected`);
      return { restart: "gateway", note: "the controller link is closed and opened again" };
    }
    const m = this.d.monitor();
    this.d.control.guard.switching(false, this.active(), "restart");
    await m.control(C.reboot());
    return { restart: "evse", note: "the controller reboots; its boot notification starts a fresh start-up" };
  }

  async rapi(cmd: Command | string): Promise<unknown> {
    const m = this.d.monitor();
    const parsed = typeof cmd === "string" ? parseRapiText(cmd, this.d.cfg.full_rapi) : cmd;
    const vetted = vetRapi(parsed, this.d.control.guard, this.active());
    const r = await m.control(vetted.cmd);
    if (!r.ok) throw new RapiRefusal(`controller answered ${r.text} to $${parsed.code}`, r.text);
    return { reply: r.text, fields: r.fields, ...(vetted.clamped_from !== undefined ? { clamped_from: vetted.clamped_from } : {}), ...(vetted.note ? { note: vetted.note } : {}) };
  }

  claims(): unknown {
    return { claims: this.d.control.claims, target: this.d.control.target(this.d.view()) };
  }
}
