// The gateway's claims (spec §10.8): every client (manual override, MQTT, divert, schedule,
// shaper, limit…) holds at most one claim; the target state and charge current follow from them.
// Pure functions over immutable arrays, so the caller decides when to evaluate and what to send.

export type ClaimState = "active" | "disabled";

export interface ClaimProps {
  state?: ClaimState;
  /** Requested current, A. */
  charge_current?: number;
  /** Cap, A; caps the charge current whatever the priority of the claim that asked for it. */
  max_current?: number;
  /** Released when the EV disconnects. */
  auto_release?: boolean;
}

export interface Claim {
  client: string;
  priority: number;
  props: ClaimProps;
}

/** Gateway priorities (§10.8). */
export const PRIORITY = {
  default: 10,
  divert: 50,
  timer: 100,
  boost: 200,
  mqtt: 500,
  ohm: 500,
  timerFeature: 900,
  manual: 1000,
  rfid: 1030,
  ocpp: 1050,
  limit: 1100,
  safety: 5000,
  error: 10000,
} as const;

/** Client names used by this package. */
export const CLIENT = { manual: "manual", mqtt: "mqtt", divert: "divert", shaper: "shaper", schedule: "timer", limit: "limit" } as const;

/** A patch from `…/set`: a field set to "clear" removes it. */
export type PropsPatch = { [K in keyof ClaimProps]?: ClaimProps[K] | "clear" };

/** Applies a patch the way the gateway keeps override and claim properties between messages (incremental). */
export function mergeProps(current: ClaimProps, patch: PropsPatch): ClaimProps {
  const next: ClaimProps = { ...current };
  if (patch.state !== undefined) {
    if (patch.state === "clear") delete next.state;
    else next.state = patch.state;
  }
  if (patch.charge_current !== undefined) {
    if (patch.charge_current === "clear") delete next.charge_current;
    else next.charge_current = patch.charge_current;
  }
  if (patch.max_current !== undefined) {
    if (patch.max_current === "clear") delete next.max_current;
    else next.max_current = patch.max_current;
  }
  if (patch.auto_release !== undefined) {
    if (patch.auto_release === "clear") delete next.auto_release;
    else next.auto_release = patch.auto_release;
  }
  return next;
}

/** Adds or replaces `client`'s claim; a replaced claim keeps its place (which matters for equal priorities). */
export function setClaim(claims: readonly Claim[], claim: Claim): Claim[] {
  const i = claims.findIndex((c) => c.client === claim.client);
  if (i < 0) return [...claims, claim];
  const next = [...claims];
  next[i] = claim;
  return next;
}

export function releaseClaim(claims: readonly Claim[], client: string): Claim[] {
  return claims.filter((c) => c.client !== client);
}

/** The EV was unplugged: claims with auto-release go. */
export function releaseAutoRelease(claims: readonly Claim[]): Claim[] {
  return claims.filter((c) => !c.props.auto_release);
}

export function findClaim(claims: readonly Claim[], client: string): Claim | undefined {
  return claims.find((c) => c.client === client);
}

export interface TargetLimits {
  /** State when no claim sets one (config `default_state`; the gateway's own default is active). */
  defaultState: ClaimState;
  /** Configured maximum from `$GC` field 4. */
  configuredMaxA: number;
  /** Controller minimum from `$GC` field 1. */
  minA: number;
}

export interface Target {
  state: ClaimState;
  /** Whole amps: what `$SC n V` will carry. */
  chargeCurrentA: number;
  /** Which client won each field (null: nobody claimed it). */
  winners: { state: string | null; charge_current: string | null; max_current: string | null };
}

/**
 * Per field, the highest-priority claim that sets it wins (the first in order on a tie, as the
 * gateway's strict comparison over its slots). Current = min(configured max, winning max_current,
 * winning charge_current), floored to whole amps, then raised to the controller minimum.
 */
export function resolveTarget(claims: readonly Claim[], limits: TargetLimits): Target {
  let state: { v: ClaimState; p: number; c: string } | null = null;
  let charge: { v: number; p: number; c: string } | null = null;
  let max: { v: number; p: number; c: string } | null = null;
  for (const { client, priority, props } of claims) {
    if (props.state !== undefined && (!state || priority > state.p)) state = { v: props.state, p: priority, c: client };
    if (props.charge_current !== undefined && (!charge || priority > charge.p)) charge = { v: props.charge_current, p: priority, c: client };
    if (props.max_current !== undefined && (!max || priority > max.p)) max = { v: props.max_current, p: priority, c: client };
  }
  let current = limits.configuredMaxA;
  // Written as "not ≥" so a NaN that slipped through ends at the minimum, never at the maximum.
  if (max && !(max.v >= current)) current = max.v;
  if (charge && !(charge.v >= current)) current = charge.v;
  current = Math.floor(current);
  if (!(current >= limits.minA)) current = limits.minA;
  return {
    state: state?.v ?? limits.defaultState,
    chargeCurrentA: current,
    winners: { state: state?.c ?? null, charge_current: charge?.c ?? null, max_current: max?.c ?? null },
  };
}

/** What a claim-holding component (divert, shaper) asks of the claim list after a step. */
export type ClaimChange = { action: "set"; priority: number; props: ClaimProps } | { action: "release" };

/** Whether `change` would alter the claim currently held (`current`): the gateway only re-claims on a difference. */
export function claimDiffers(current: { priority: number; props: ClaimProps } | null, priority: number, props: ClaimProps): boolean {
  if (!current || current.priority !== priority) return true;
  const a = current.props;
  return a.state !== props.state || a.charge_current !== props.charge_current || a.max_current !== props.max_current || a.auto_release !== props.auto_release;
}
