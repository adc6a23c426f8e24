// The stop deadline of DehneControl on an injected clock and scheduler: it starts at the first
// disable and no later /set moves it.
import { describe, expect, test } from "bun:test";
import { DehneControl, type ControlSession, type Schedule } from "../../../protocols/dehne/control.ts";
import type { DataResponse, PilotVoltage, ServerRequest } from "../../../protocols/dehne/wire.ts";

const LIMITS = { minA: 6, maxA: 32, switchIntervalMs: 0, stopDelayMs: 15_000 };

function data(pilot: PilotVoltage, contactor: boolean, pwm: number): DataResponse {
  return {
    contactor_state: contactor,
    pwm_percent: pwm,
    measurements: {
      pilot_voltage: pilot, proximity_pilot_amps: "amp_32", phase1_millivolts: 0, phase2_millivolts: 0, phase3_millivolts: 0,
      phase1_milliamps: 0, phase2_milliamps: 0, phase3_milliamps: 0, wifi_rssi: -60, uptime_milliseconds: 0,
      current_control_pilot_adc: 0, current_proximity_pilot_adc: 0, logging_buffer: "",
    },
  };
}

/** A charger whose car keeps asking for charge (state C) whatever the PWM, and a clock the test moves. */
function rig() {
  let t = 1_000_000;
  const sent: ServerRequest[] = [];
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const timer = { at: t + ms, fn, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  const control = new DehneControl(LIMITS, () => t, schedule);
  const session: ControlSession = {
    request: async (req) => {
      sent.push(req);
      if (req.type === "set_contactor" && control.last) control.last.contactor_state = req.on;
      if (req.type === "set_pwm" && control.last) control.last.pwm_percent = req.percent;
      return undefined;
    },
  };
  const opened = () => sent.some((r) => r.type === "set_contactor" && !r.on);
  /** Moves the clock, fires due timers, then (unless `poll` is false) a poll's reconcile as a data frame would. */
  const advance = async (ms: number, poll = true) => {
    t += ms;
    for (const timer of timers) {
      if (!timer.cancelled && timer.at <= t) {
        timer.cancelled = true;
        timer.fn();
      }
    }
    if (poll) await control.reconcile(session);
    else await new Promise((r) => setTimeout(r, 0));
  };
  return { control, session, sent, timers, opened, advance };
}

describe("Dehne stop deadline", () => {
  test("repeated /set after a disable does not move the deadline: the contactor opens 15 s after the first disable", async () => {
    const { control, session, opened, advance } = rig();
    control.last = data("volt_6", true, 54);
    await control.set({ enabled: true }, session);
    expect(await control.set({ enabled: false }, session)).toMatchObject({ enabled: false, pwm_percent: 100, contactor: "opens when the car pauses" });
    // Every 1 s for 14 s, alternating the two commands automations send.
    for (let i = 1; i <= 14; i++) {
      await advance(1000);
      await control.set(i % 2 === 0 ? { enabled: false } : { current_limit_a: 10 }, session);
      expect(opened()).toBe(false);
    }
    await advance(999);
    expect(opened()).toBe(false);
    await advance(1);
    expect(opened()).toBe(true);
  });

  test("one deadline timer from the first disable opens the contactor without any poll; the car pausing opens it earlier", async () => {
    const a = rig();
    a.control.last = data("volt_6", true, 54);
    await a.control.set({ enabled: true }, a.session);
    await a.control.set({ enabled: false }, a.session);
    await a.advance(5000, false);
    await a.control.set({ enabled: false }, a.session);
    expect(a.timers.filter((x) => !x.cancelled)).toHaveLength(1);
    expect(a.timers[0]?.at).toBe(1_000_000 + 15_020);
    await a.advance(10_019, false);
    expect(a.opened()).toBe(false);
    await a.advance(1, false);
    expect(a.opened()).toBe(true);
    const b = rig();
    b.control.last = data("volt_6", true, 54);
    await b.control.set({ enabled: true }, b.session);
    await b.control.set({ enabled: false }, b.session);
    await b.advance(3000);
    expect(b.opened()).toBe(false);
    b.control.last = data("volt_9", true, 100);
    await b.advance(1000);
    expect(b.opened()).toBe(true);
  });

  test("enabling again cancels the deadline; a new disable starts a new one", async () => {
    const { control, session, timers, opened, advance } = rig();
    control.last = data("volt_6", true, 54);
    await control.set({ enabled: true }, session);
    await control.set({ enabled: false }, session);
    await advance(10_000);
    await control.set({ enabled: true }, session);
    expect(timers[0]?.cancelled).toBe(true);
    await advance(10_000);
    expect(opened()).toBe(false);
    await control.set({ enabled: false }, session);
    expect(timers[1]?.at).toBe(1_000_000 + 20_000 + 15_020);
    await advance(14_999);
    expect(opened()).toBe(false);
    await advance(1);
    expect(opened()).toBe(true);
  });
});
