// The Huawei `/request` actions, one table for every connector of a PSU link. Alarms and
// measurements go into the registers the PSU reads (and out in a report at once); power requests
// need GOOSE and pass the power check before the connector machine sees them.
import { z } from "zod";
import { action, type ActionTable, noArgs } from "../../lib/actions.ts";
import { CommandError } from "../../lib/errors.ts";
import type { ChargeGuard } from "../../lib/guard.ts";
import type { EverestPhase } from "./connector.ts";
import { detailOf, errorsOf } from "./normalize.ts";
import { checkPower } from "./power-guard.ts";
import type { AlarmName, PsuUnit, UnitConnector } from "./unit.ts";

export interface ActionContext {
  unit: PsuUnit;
  connector: UnitConnector;
  /** This connector's start rate limit. */
  guard: ChargeGuard;
}

const volts = (what: string) => z.number({ error: `${what} must be a number` }).finite().min(0, `${what} must be ≥ 0`).max(2000, `${what} above 2000 V is not a DC charger value`);
const amps = (what: string) => z.number({ error: `${what} must be a number` }).finite().min(0, `${what} must be ≥ 0`).max(1000, `${what} above 1000 A is not a DC charger value`);

const PHASES = { cable_check: "CableCheck", precharge: "PreCharge", charging: "Charging" } as const satisfies Record<string, EverestPhase>;

/** GOOSE carries every power command; without it the link is telemetry and alarms only. */
export function needGoose(unit: PsuUnit): void {
  const g = unit.goose;
  if (g.state === "active") return;
  if (g.state === "off") throw new CommandError("power commands need GOOSE, and this link has goose = false: it carries telemetry and alarms only");
  throw new CommandError(`power commands need GOOSE, which is unavailable here (${g.reason}): this link carries telemetry and alarms only`);
}

function summary(ctx: ActionContext): Record<string, unknown> {
  const m = ctx.connector.machine;
  return { connector_state: m.state, working_status: ctx.unit.store.connector(ctx.connector.local, "workingStatus"), mode: m.everest.mode, phase: m.everest.phase, setpoint: m.setpoint };
}

async function published<T>(ctx: ActionContext, result: T): Promise<T> {
  await ctx.unit.publish();
  return result;
}

export const huaweiActions: ActionTable<ActionContext> = {
  state: action("what the PSU and this connector report now (registers, state machine, errors)", noArgs, (_a, ctx) => ({
    ...detailOf(ctx.unit, ctx.connector),
    errors: errorsOf(ctx.unit, ctx.connector),
  })),

  set_alarm: action(
    "raise or clear a dispenser alarm (door, water, EPO, tilt) in registers 0x3001–0x3004; dispenser-wide, any connector's topic",
    z.object({ alarm: z.enum(["door", "water", "epo", "tilt"], { error: "alarm must be one of door, water, epo, tilt" }), active: z.boolean({ error: "active must be true or false" }) }).strict(),
    (a, ctx) => {
      const alarm: AlarmName = a.alarm;
      const changed = ctx.unit.setAlarm(alarm, a.active);
      return published(ctx, { alarm, active: a.active, changed, alarms: ctx.unit.alarms.dispenserAlarms() });
    },
  ),

  set_contactor_fault: action(
    "raise or clear this connector's DC output contactor fault (register 0x3105+o)",
    z.object({ active: z.boolean({ error: "active must be true or false" }) }).strict(),
    (a, ctx) => {
      const changed = ctx.unit.setContactorFault(ctx.connector, a.active);
      return published(ctx, { active: a.active, changed });
    },
  ),

  set_measurements: action(
    "the dispenser's DC readings the PSU reads: output voltage/current (car side) and upstream voltage",
    z
      .object({ output_voltage_v: volts("output_voltage_v").optional(), output_current_a: amps("output_current_a").optional(), upstream_voltage_v: volts("upstream_voltage_v").optional() })
      .strict()
      .refine((m) => Object.keys(m).length > 0, "expected at least one of output_voltage_v, output_current_a, upstream_voltage_v"),
    (a, ctx) => {
      const { unit, connector: c } = ctx;
      if (a.output_voltage_v !== undefined) {
        unit.store.setConnector(c.local, "outputVoltage", a.output_voltage_v);
        c.d2p.outputVoltage = a.output_voltage_v;
      }
      if (a.output_current_a !== undefined) {
        unit.store.setConnector(c.local, "outputCurrent", a.output_current_a);
        c.d2p.outputCurrent = a.output_current_a;
      }
      if (a.upstream_voltage_v !== undefined) {
        unit.store.setConnector(c.local, "upstreamVoltage", a.upstream_voltage_v);
        c.d2p.upstreamVoltage = a.upstream_voltage_v;
      }
      unit.markDirty();
      return published(ctx, { ...a });
    },
  ),

  car: action("GOOSE only: a car plugged in (BSP event B) or unplugged (A)", z.object({ plugged: z.boolean({ error: "plugged must be true or false" }) }).strict(), (a, ctx) => {
    needGoose(ctx.unit);
    const c = ctx.connector;
    // A real car during the start-up key fetch takes the fake one's place instead of being unplugged by it.
    c.keyFetch = false;
    ctx.unit.apply(c, a.plugged ? c.machine.carPlugged() : c.machine.carUnplugged());
    c.d2p.bspEvent = a.plugged ? "B" : "A";
    return published(ctx, summary(ctx));
  }),

  power_request: action(
    "GOOSE only: export voltage_v/current_a in a phase (cable_check, precharge, charging); refused beyond the PSU's and the configured limits",
    z.object({ phase: z.enum(["cable_check", "precharge", "charging"], { error: "phase must be cable_check, precharge or charging" }), voltage_v: volts("voltage_v"), current_a: amps("current_a") }).strict(),
    (a, ctx) => {
      needGoose(ctx.unit);
      const { unit, connector: c } = ctx;
      const global = c.cfg.global_connector_number;
      if (c.machine.state === "CarDisconnected" || c.keyFetch) throw new CommandError(`connector ${global}: no car plugged in (send car {"plugged": true} first); nothing sent`);
      checkPower(a, unit.limits(c), global);
      const exporting = c.machine.everest.mode === "Export";
      ctx.guard.switching(true, exporting, `power_request on connector ${global}`);
      const e1 = c.machine.setSetpoint(a.voltage_v, a.current_a);
      const e2 = c.machine.setMode("Export", PHASES[a.phase]);
      unit.apply(c, { stateChanged: e2.stateChanged, resend: e1.resend || e2.resend });
      c.d2p.exportVoltage = e1.voltage;
      c.d2p.exportCurrent = e1.current;
      return published(ctx, summary(ctx));
    },
  ),

  power_stop: action("GOOSE only: stop exporting (mode Off; Running becomes Completed and a ShutdownRequest goes out)", noArgs, (_a, ctx) => {
    needGoose(ctx.unit);
    const c = ctx.connector;
    ctx.guard.switching(false, c.machine.everest.mode === "Export", `power_stop on connector ${c.cfg.global_connector_number}`);
    ctx.unit.apply(c, c.machine.setMode("Off", "Other"));
    return published(ctx, summary(ctx));
  }),
};
