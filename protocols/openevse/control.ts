// The gateway's claims (spec §10.8) turned into RAPI, as §9.3 does it: target state → `$FE` or
// `$FS`/`$FD`, target current → `$SC n V` (volatile: no EEPROM write per change), clamped to the
// configured limits and to the controller's own maximum from `$GC`. One guard per controller
// checks every command path; automatic changes (divert, shaper, limits, unplug) are never refused.
import { ChargeGuard } from "../../lib/guard.ts";
import type { Logger } from "../../lib/log.ts";
import { type Claim, type ClaimProps, type ClaimState, findClaim, resolveTarget, setClaim, type Target, type TargetLimits } from "./claims.ts";
import type { Command } from "./codec.ts";
import * as C from "./commands.ts";
import type { Monitor } from "./monitor.ts";
import { isActiveState } from "./states.ts";
import type { ControllerView } from "./view.ts";

export interface ControlLimits {
  minA: number;
  maxA: number;
  switchIntervalMs: number;
  defaultState: ClaimState;
  pauseUsesDisabled: boolean;
  now?: () => number;
}

/** The normalized layout's own claim: above the MQTT claim (500), divert and the manual override,
 * below session limits (1100) and the shaper (5000), at the slot the gateway gives OCPP, the other
 * central system. */
export const NORMALIZED_CLIENT = "evse2mqtt";
export const NORMALIZED_PRIORITY = 1050;

export interface Applied {
  state: ClaimState;
  current_a: number;
  /** Commands sent, e.g. ["$SC 16 V", "$FE"]. */
  sent: string[];
}

export class OpenEvseControl {
  claims: Claim[] = [];
  readonly guard: ChargeGuard;
  /** What was last commanded; a change of target is sent once, not on every poll. */
  private sentState: ClaimState | null = null;
  private sentAmps: number | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly limits: ControlLimits, private readonly log: Logger) {
    // Stopping is always honoured (the safe direction) and still recorded, so the next start waits.
    this.guard = new ChargeGuard({ minA: limits.minA, maxA: limits.maxA, switchIntervalMs: limits.switchIntervalMs, stopAlwaysAllowed: true, ...(limits.now ? { now: limits.now } : {}) });
  }

  targetLimits(v: ControllerView): TargetLimits {
    // Never above what the controller itself allows ($GC configured maximum, else its hardware maximum).
    const ctlMax = v.maxA ?? v.hwMaxA;
    return {
      defaultState: this.limits.defaultState,
      configuredMaxA: ctlMax === null ? this.limits.maxA : Math.min(this.limits.maxA, ctlMax),
      minA: Math.max(this.limits.minA, v.minA ?? this.limits.minA),
    };
  }

  target(v: ControllerView, claims: readonly Claim[] = this.claims): Target {
    return resolveTarget(claims, this.targetLimits(v));
  }

  props(client: string): ClaimProps | null {
    return findClaim(this.claims, client)?.props ?? null;
  }

  /**
   * A claim change asked for by a command. When it would flip the target state, the switch rate
   * limit decides (a refusal throws a CommandError and leaves the claims as they were).
   */
  command(v: ControllerView, what: string, change: (claims: readonly Claim[]) => Claim[]): void {
    const next = change(this.claims);
    const before = this.target(v).state;
    const after = this.target(v, next).state;
    if (before !== after) this.guard.switching(after === "active", before === "active", what);
    this.claims = next;
  }

  /** A claim change the bridge makes by itself (divert, shaper, limit, unplug): recorded, never refused. */
  automatic(v: ControllerView, change: (claims: readonly Claim[]) => Claim[]): void {
    const next = change(this.claims);
    if (this.target(v).state !== this.target(v, next).state) this.guard.limiter.record();
    this.claims = next;
  }

  /** The claims with the normalized `/set` claim merged with what it held. */
  withNormalized(claims: readonly Claim[], patch: ClaimProps): Claim[] {
    return setClaim(claims, { client: NORMALIZED_CLIENT, priority: NORMALIZED_PRIORITY, props: { ...(findClaim(claims, NORMALIZED_CLIENT)?.props ?? {}), ...patch } });
  }

  /** A new link or a reboot: nothing is known to be in force any more. */
  forget(): void {
    this.sentState = null;
    this.sentAmps = null;
  }

  /** Brings the controller in line with the target; runs one at a time, in call order. */
  apply(m: Monitor, force = false): Promise<Applied> {
    const run = this.chain.then(() => this.applyNow(m, force));
    this.chain = run.catch(() => {});
    return run;
  }

  private async applyNow(m: Monitor, force: boolean): Promise<Applied> {
    const v = m.view;
    const t = this.target(v);
    const sent: string[] = [];
    const result = () => ({ state: t.state, current_a: t.chargeCurrentA, sent });
    if (!m.isUp) return result();
    const active = t.state === "active";
    const f = v.features ?? undefined;
    // A disabled charger stays disabled: a controller that starts charging anyway (its button, a
    // passthrough command) is put back to sleep. An active target does not fight a local pause.
    const runningAgainst = !active && v.state !== null && isActiveState(v.state);
    const sendState = force || t.state !== this.sentState || runningAgainst;
    // A pilot raised behind our back (PP auto-ampacity, a heartbeat acknowledgement) is lowered again (§9.2).
    const sendAmps = force || t.chargeCurrentA !== this.sentAmps || (v.pilotA !== null && v.pilotA > t.chargeCurrentA);
    const stateCmd = active ? C.enable() : this.limits.pauseUsesDisabled ? C.disable() : C.sleep();
    const send = async (cmd: Command) => {
      const reply = await m.control(cmd);
      sent.push(`$${cmd.code}${cmd.params?.length ? ` ${cmd.params.join(" ")}` : ""}`);
      if (!reply.ok) this.log.warn(`controller refused $${cmd.code}`, { reply: reply.text });
      return reply;
    };
    // Stop first, then the current; when starting, the current first so the car sees it from the start.
    if (!active && sendState) {
      await send(stateCmd);
      this.sentState = t.state;
    }
    if (sendAmps) {
      await send(C.setCurrent(t.chargeCurrentA, "volatile", f));
      this.sentAmps = t.chargeCurrentA;
    }
    if (active && sendState) {
      // Harmless where the controller is already active (§8.1), so a fresh link starts from a known state.
      await send(stateCmd);
      this.sentState = t.state;
    }
    if (sent.length > 0) this.log.debug("target applied", { state: t.state, current_a: t.chargeCurrentA, sent: sent.join(", ") });
    return result();
  }
}
