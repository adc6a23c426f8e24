// The power actions without a network: a unit whose GOOSE counts as active, driven through the
// same action table `/request` uses. Checks the bounds, the start rate limit and `/set`.
import { describe, expect, test } from "bun:test";
import { dispatch } from "../../../lib/actions.ts";
import { CommandError, errorMessage } from "../../../lib/errors.ts";
import { silentLogger } from "../../../lib/log.ts";
import { type ActionContext, huaweiActions } from "../../../protocols/huawei/actions.ts";
import { unitSchema } from "../../../protocols/huawei/config.ts";
import { HuaweiDevice } from "../../../protocols/huawei/device.ts";
import { startGuard } from "../../../protocols/huawei/power-guard.ts";
import { PsuUnit } from "../../../protocols/huawei/unit.ts";
import { encodeValue, F32 } from "../../../protocols/huawei/words.ts";

function rig(goose: "active" | "off" = "active") {
  let now = 1_000_000;
  const unit = new PsuUnit(unitSchema.parse({ name: "a", host: "h", switch_min_interval_s: 10, connectors: [{ global_connector_number: 5, max_export_current_a: 80, max_export_power_w: 30000 }] }), silentLogger, () => now);
  if (goose === "active") unit.goose = { state: "active", interface: "test0" };
  const [c] = unit.connectors;
  if (!c) throw new Error("no connector");
  const ctx: ActionContext = { unit, connector: c, guard: startGuard(10_000, () => now) };
  const run = (action: string, args: Record<string, unknown> = {}) => dispatch(huaweiActions, action, args, ctx);
  const refusal = (action: string, args: Record<string, unknown> = {}) =>
    run(action, args).then(
      () => "accepted",
      (err: unknown) => (err instanceof CommandError ? errorMessage(err) : `not a CommandError: ${errorMessage(err)}`),
    );
  /** The PSU side: capabilities 1000 V / 100 V / 100 A / 1 A / 60 kW, then a key after the plug. */
  const capabilities = () => {
    for (const [address, v] of [[0x2100, 1000], [0x2105, 100], [0x2102, 100], [0x2107, 1], [0x212d, 60]] as const) unit.store.writeWords(address, encodeValue(F32, v));
    for (const uc of unit.connectors) unit.capabilitiesChanged(uc);
  };
  const keyAndReply = () => {
    unit.store.writeWords(0x2115, new Uint16Array(24).fill(0x1234));
    unit.apply(c, c.machine.keyWritten());
    unit.apply(c, c.machine.allocationReply(true));
  };
  return { unit, c, run, refusal, capabilities, keyAndReply, advance: (ms: number) => (now += ms), dispose: () => unit.dispose() };
}

describe("power_request", () => {
  test("refused before the capabilities and before a car, then checked against every bound", async () => {
    const r = rig();
    expect(await r.refusal("power_request", { phase: "charging", voltage_v: 400, current_a: 10 })).toBe('connector 5: no car plugged in (send car {"plugged": true} first); nothing sent');
    await r.run("car", { plugged: true });
    expect(await r.refusal("power_request", { phase: "charging", voltage_v: 400, current_a: 10 })).toStartWith("connector 5: the PSU has not sent its capabilities yet");
    r.capabilities();
    r.keyAndReply();
    expect(r.c.machine.state).toBe("Running");
    const cases: [number, number, string][] = [
      [1001, 10, "voltage_v 1001 V exceeds the PSU's maximum 1000 V"],
      [99, 10, "voltage_v 99 V is below the PSU's minimum 100 V"],
      [400, 80.5, "current_a 80.5 A exceeds the maximum 80 A (PSU capability and max_export_current_a)"],
      [400, 0.5, "current_a 0.5 A is below the PSU's minimum 1 A"],
      [500, 61, "500 V × 61 A = 30500 W exceeds the maximum 30000 W (PSU rating and max_export_power_w)"],
    ];
    for (const [v, i, why] of cases) expect(await r.refusal("power_request", { phase: "charging", voltage_v: v, current_a: i })).toBe(`connector 5: ${why}; nothing sent`);
    // Refused requests changed nothing.
    expect([r.c.machine.everest.mode, r.c.machine.setpoint]).toEqual([null, { voltage: 0, current: 0 }]);
    expect(await r.run("power_request", { phase: "charging", voltage_v: 500, current_a: 60 })).toMatchObject({ connector_state: "Running", working_status: 3, setpoint: { voltage: 500, current: 60 } });
    expect([r.c.d2p.exportVoltage, r.c.d2p.exportCurrent, r.c.d2p.everestMode, r.c.d2p.everestPhase]).toEqual([500, 60, "Export", "Charging"]);
    expect(await r.refusal("power_request", { phase: "boost", voltage_v: 500, current_a: 60 })).toContain("phase must be cable_check, precharge or charging");
    r.dispose();
  });

  test("starts are rate-limited; a new setpoint while exporting and a stop are not", async () => {
    const r = rig();
    await r.run("car", { plugged: true });
    r.capabilities();
    r.keyAndReply();
    await r.run("power_request", { phase: "cable_check", voltage_v: 500, current_a: 2 });
    await r.run("power_request", { phase: "charging", voltage_v: 400, current_a: 50 });
    expect(await r.run("power_stop")).toMatchObject({ connector_state: "Completed", working_status: 4 });
    expect(await r.refusal("power_request", { phase: "charging", voltage_v: 400, current_a: 50 })).toMatch(/^power_request on connector 5 refused: the last on\/off switch was 0 s ago; next allowed in 10 s/);
    r.advance(10_001);
    // Completed + an export mode → NoKeyYet: a new key is needed first (spec §5.2).
    expect(await r.run("power_request", { phase: "charging", voltage_v: 400, current_a: 50 })).toMatchObject({ connector_state: "NoKeyYet" });
    r.dispose();
  });
});

describe("without GOOSE", () => {
  test("every power action and every /set is refused with the reason; alarms and measurements still work", async () => {
    const r = rig("off");
    const why = "power commands need GOOSE, and this link has goose = false: it carries telemetry and alarms only";
    for (const [a, args] of [["car", { plugged: true }], ["power_request", { phase: "charging", voltage_v: 400, current_a: 10 }], ["power_stop", {}]] as const) expect(await r.refusal(a, args)).toBe(why);
    const device = new HuaweiDevice(r.unit, r.c, { attach: () => { throw new Error("not attached in this test"); }, state: () => undefined, remove: () => Promise.resolve(false) });
    await expect(device.set({ enabled: false })).rejects.toThrow(why);
    expect(await r.run("set_alarm", { alarm: "tilt", active: true })).toMatchObject({ changed: true });
    expect(r.unit.store.readWords(0x3004, 1)).toEqual(Uint16Array.of(1));
    r.unit.goose = { state: "unavailable", reason: "raw socket on eth9: operation not permitted: raw Ethernet needs root or CAP_NET_RAW (errno 1)" };
    expect(await r.refusal("power_stop")).toBe("power commands need GOOSE, which is unavailable here (raw socket on eth9: operation not permitted: raw Ethernet needs root or CAP_NET_RAW (errno 1)): this link carries telemetry and alarms only");
    r.dispose();
  });

  test("with GOOSE, /set takes only enabled: false", async () => {
    const r = rig();
    const device = new HuaweiDevice(r.unit, r.c, { attach: () => { throw new Error("not attached in this test"); }, state: () => undefined, remove: () => Promise.resolve(false) });
    await expect(device.set({ current_limit_a: 16 })).rejects.toThrow('a DC power unit is commanded in volts and amps: use the request action power_request {"phase", "voltage_v", "current_a"}; only "enabled": false (stop) works on /set');
    await expect(device.set({ enabled: true })).rejects.toThrow("use the request action power_request");
    expect(await device.set({ enabled: false })).toMatchObject({ connector_state: "CarDisconnected", mode: "Off" });
    r.dispose();
  });
});
