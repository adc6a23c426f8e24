import { describe, expect, test } from "bun:test";
import { ConnectorMachine, type ConnectorState, type EverestMode, type EverestPhase } from "../../../protocols/huawei/connector.ts";
import { CommandError } from "../../../lib/errors.ts";

function rig(signing = true) {
  let now = 1_000;
  const m = new ConnectorMachine({ globalConnector: 3, signing, now: () => now, allocationTimeoutMs: 5_000 });
  m.setLimits({ minVoltage: 100, maxVoltage: 1000, minCurrent: 1, maxCurrent: 100 });
  return { m, advance: (ms: number) => (now += ms), now: () => now };
}

/** Drives a fresh machine into `target` the way the PSU and EVerest would. */
function into(target: ConnectorState, signing = true) {
  const r = rig(signing);
  const path: Record<ConnectorState, (() => unknown)[]> = {
    CarDisconnected: [],
    NoKeyYet: [() => r.m.carPlugged()],
    ConnectedNoAllocation: [() => r.m.carPlugged(), () => r.m.keyWritten()],
    Running: [() => r.m.carPlugged(), () => r.m.keyWritten(), () => r.m.allocationReply(true)],
    Completed: [() => r.m.carPlugged(), () => r.m.keyWritten(), () => r.m.allocationReply(true), () => r.m.setMode("Export", "Charging"), () => r.m.setMode("Off", "Other")],
  };
  for (const step of path[target]) step();
  expect(r.m.state).toBe(target);
  r.m.takeChargingEvent();
  return r;
}

const STATES: ConnectorState[] = ["CarDisconnected", "NoKeyYet", "ConnectedNoAllocation", "Running", "Completed"];

describe("§5.2 transitions", () => {
  test("car plugged in CarDisconnected → NoKeyYet; elsewhere nothing", () => {
    for (const s of STATES) {
      const { m } = into(s);
      const e = m.carPlugged();
      expect([s, m.state, e.stateChanged]).toEqual([s, s === "CarDisconnected" ? "NoKeyYet" : s, s === "CarDisconnected"]);
    }
  });

  test("car unplugged in any state → CarDisconnected", () => {
    for (const s of STATES) {
      const { m } = into(s);
      m.carUnplugged();
      expect([s, m.state]).toEqual([s, "CarDisconnected"]);
    }
  });

  test("HMAC key in NoKeyYet → ConnectedNoAllocation and the allocation timer starts", () => {
    const r = into("NoKeyYet");
    expect(r.m.allocationDeadline).toBeUndefined();
    expect(r.m.keyWritten()).toEqual({ stateChanged: true, resend: true });
    expect(r.m.state).toBe("ConnectedNoAllocation");
    expect(r.m.allocationDeadline).toBe(r.now() + 5_000);
    // A key in any other state is stored without a transition.
    for (const s of ["CarDisconnected", "Running", "Completed"] as const) {
      const o = into(s);
      expect(o.m.keyWritten()).toEqual({ stateChanged: false, resend: false });
      expect([s, o.m.state, o.m.hasKey]).toEqual([s, s, true]);
    }
  });

  test("PowerRequestReply in ConnectedNoAllocation → Running, FAILURE remembered", () => {
    const ok = into("ConnectedNoAllocation");
    ok.m.allocationReply(true);
    expect([ok.m.state, ok.m.allocationFailed, ok.m.allocationDeadline]).toEqual(["Running", false, undefined]);
    const bad = into("ConnectedNoAllocation");
    bad.m.allocationReply(false);
    expect([bad.m.state, bad.m.allocationFailed]).toEqual(["Running", true]);
    for (const s of ["CarDisconnected", "NoKeyYet", "Running", "Completed"] as const) {
      const o = into(s);
      expect(o.m.allocationReply(true).stateChanged).toBe(false);
      expect(o.m.state).toBe(s);
    }
  });

  test("allocation timer expiry in ConnectedNoAllocation → Running with the failure flag", () => {
    const r = into("ConnectedNoAllocation");
    r.advance(4_999);
    expect(r.m.tick()).toEqual({ stateChanged: false, resend: false });
    r.advance(1);
    expect(r.m.tick()).toEqual({ stateChanged: true, resend: true });
    expect([r.m.state, r.m.allocationFailed]).toEqual(["Running", true]);
    // Leaving Running clears the flag.
    r.m.setMode("Off", "Other");
    expect([r.m.state, r.m.allocationFailed]).toEqual(["Completed", false]);
    // A timer left from an earlier ConnectedNoAllocation never fires elsewhere.
    const u = into("ConnectedNoAllocation");
    u.m.carUnplugged();
    u.advance(10_000);
    expect(u.m.tick().stateChanged).toBe(false);
    expect(u.m.state).toBe("CarDisconnected");
  });

  test("mode Off (not during cable check) in Running → Completed", () => {
    const r = into("Running");
    r.m.setMode("Export", "CableCheck");
    r.m.setMode("Off", "Other"); // keeps CableCheck: OffCableCheck, still Running
    expect([r.m.state, r.m.modePhase, r.m.everest]).toEqual(["Running", "OffCableCheck", { mode: "Off", phase: "CableCheck" }]);
    r.m.setMode("Export", "PreCharge");
    r.m.setMode("Off", "Other");
    expect([r.m.state, r.m.modePhase]).toEqual(["Completed", "Off"]);
  });

  test("an export mode in Completed → NoKeyYet (a new key and allocation are needed)", () => {
    for (const phase of ["CableCheck", "PreCharge", "Charging"] as const) {
      const r = into("Completed");
      r.m.setMode("Export", phase);
      expect([phase, r.m.state]).toEqual([phase, "NoKeyYet"]);
      r.m.keyWritten();
      expect(r.m.state).toBe("ConnectedNoAllocation");
    }
    const r = into("Completed");
    r.m.setMode("Off", "Other");
    expect(r.m.state).toBe("Completed");
  });

  test("Import, Fault and Export without a phase change nothing but the telemetry", () => {
    const inputs: [EverestMode, EverestPhase][] = [["Import", "Charging"], ["Fault", "Other"], ["Export", "Other"]];
    for (const [mode, phase] of inputs) {
      const r = into("Running");
      r.m.setMode("Export", "Charging");
      expect(r.m.setMode(mode, phase)).toEqual({ stateChanged: false, resend: false });
      expect([r.m.state, r.m.modePhase, r.m.everest]).toEqual(["Running", "ExportCharging", { mode, phase }]);
    }
  });
});

describe("§5.2 what is written and sent per state", () => {
  const frame = (m: ConnectorMachine) => {
    const g = m.goose();
    if (!g) return "nothing";
    return g.dataset === "ShutdownRequest" ? `stop ${g.reason.toString(16)}` : `type ${g.requirement} ${g.voltage}V ${g.current}A mode ${g.mode}`;
  };
  const table: [ConnectorState, [EverestMode, EverestPhase] | null, number, string][] = [
    ["CarDisconnected", null, 0, "stop 1000"],
    ["NoKeyYet", null, 1, "stop 1000"],
    ["ConnectedNoAllocation", null, 8, "type 1 0V 0A mode 2"],
    ["Running", ["Off", "Other"], 4, "stop 1000"], // Off in Running completes at once
    ["Running", null, 8, "type 1 0V 0A mode 2"],
    ["Running", ["Export", "CableCheck"], 8, "type 2 500V 2A mode 2"],
    ["Running", ["Off", "CableCheck"], 8, "type 3 0V 0A mode 2"],
    ["Running", ["Export", "PreCharge"], 8, "type 4 500V 2A mode 2"],
    ["Running", ["Export", "Charging"], 3, "type 5 500V 2A mode 2"],
    ["Completed", null, 4, "stop 1000"],
  ];
  for (const [state, mode, ws, goose] of table) {
    test(`${state}${mode ? ` + ${mode.join("/")}` : ""} → working status ${ws}, ${goose}`, () => {
      const r = into(state, false); // the signing gate is tested on its own below
      r.m.setSetpoint(500, 2);
      if (mode) r.m.setMode(...mode);
      expect([r.m.workingStatus, frame(r.m)]).toEqual([ws, goose]);
      expect(r.m.connectionStatus).toBe(r.m.state === "CarDisconnected" ? 0 : 2);
    });
  }

  test("with signing on, nothing is sent before the first key; with signing off, stops go out at once", () => {
    expect(into("CarDisconnected").m.goose()).toBeUndefined();
    expect(into("NoKeyYet").m.goose()).toBeUndefined();
    expect(into("CarDisconnected", false).m.goose()).toEqual({ dataset: "ShutdownRequest", connector: 3, chargingSn: 0xffff, reason: 0x1000 });
    // The key stays for later sessions: a stop after unplugging is signed with it.
    const r = into("Running");
    r.m.carUnplugged();
    expect(r.m.goose()?.dataset).toBe("ShutdownRequest");
  });

  test("charging event: STOP_TO_START on entering Running, START_TO_STOP on every other change, reported once", () => {
    const r = into("CarDisconnected");
    const seen: [string, number, boolean][] = [];
    const step = (name: string, f: () => unknown) => {
      f();
      seen.push([name, r.m.chargingEvent, r.m.takeChargingEvent()]);
    };
    step("plug", () => r.m.carPlugged());
    step("again", () => r.m.carPlugged());
    step("key", () => r.m.keyWritten());
    step("reply", () => r.m.allocationReply(true));
    step("charge", () => r.m.setMode("Export", "Charging"));
    step("off", () => r.m.setMode("Off", "Other"));
    step("unplug", () => r.m.carUnplugged());
    expect(seen).toEqual([
      ["plug", 0, true],
      ["again", 0, false],
      ["key", 0, true],
      ["reply", 1, true],
      ["charge", 1, false],
      ["off", 0, true],
      ["unplug", 0, true],
    ]);
  });

  test("mode/phase changes and setpoints in Running ask for an immediate re-send", () => {
    const r = into("Running");
    expect(r.m.setMode("Export", "CableCheck")).toEqual({ stateChanged: false, resend: true });
    expect(r.m.setMode("Export", "CableCheck")).toEqual({ stateChanged: false, resend: false });
    expect(r.m.setSetpoint(400, 10)).toEqual({ stateChanged: false, resend: true, voltage: 400, current: 10 });
    const idle = into("NoKeyYet");
    expect(idle.m.setSetpoint(400, 10).resend).toBe(false);
  });
});

test("setpoints are clamped to the limits; unknown limits clamp to 0; non-numbers are refused", () => {
  const r = into("Running");
  expect(r.m.setSetpoint(1200, 150)).toMatchObject({ voltage: 1000, current: 100 });
  expect(r.m.setSetpoint(50, 0)).toMatchObject({ voltage: 100, current: 1 });
  expect(r.m.setSetpoint(-5, -1)).toMatchObject({ voltage: 100, current: 1 });
  const fresh = new ConnectorMachine({ globalConnector: 1, signing: false, now: () => 0 });
  expect(fresh.setSetpoint(400, 20)).toMatchObject({ voltage: 0, current: 0 });
  expect(() => r.m.setSetpoint(Number.NaN, 1)).toThrow(CommandError);
  expect(() => r.m.setSetpoint(400, Number.POSITIVE_INFINITY)).toThrow("connector 3: setpoint must be finite numbers");
  expect(r.m.setpoint).toEqual({ voltage: 100, current: 1 });
  expect(() => r.m.setLimits({ minVoltage: 0, maxVoltage: Number.NaN, minCurrent: 0, maxCurrent: 1 })).toThrow("limit maxVoltage");
  expect(() => new ConnectorMachine({ globalConnector: 13, signing: true, now: () => 0 })).toThrow("1..12, got 13");
});

test("§5.1 initial key fetch: forced Off, fake plug, key, fake unplug, mode restored", () => {
  const r = into("CarDisconnected");
  r.m.setMode("Export", "PreCharge");
  r.m.beginKeyFetch();
  expect([r.m.state, r.m.modePhase, r.m.workingStatus]).toEqual(["NoKeyYet", "Off", 1]);
  r.m.keyWritten();
  expect(r.m.state).toBe("ConnectedNoAllocation");
  r.m.endKeyFetch();
  expect([r.m.state, r.m.modePhase, r.m.hasKey]).toEqual(["CarDisconnected", "ExportPrecharge", true]);
  // A mode set during the fetch wins over the saved one.
  const s = into("CarDisconnected");
  s.m.beginKeyFetch();
  s.m.setMode("Export", "Charging");
  s.m.endKeyFetch();
  expect(s.m.modePhase).toBe("ExportCharging");
});
