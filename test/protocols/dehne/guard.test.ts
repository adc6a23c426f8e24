// Every Dehne command path goes through one guard: raw duty cycles via /request and to_dehneEVSE
// are clamped like current_limit_a and rate-limited like any switch; redundant switches send nothing.
import { expect, setDefaultTimeout, test } from "bun:test";
import { badFrames, framesIn, framesOut } from "../../../lib/metrics.ts";
import { dehnePlugin } from "../../../protocols/dehne/index.ts";
import { SimulatedDehne, simSerial } from "../../../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { startInProcess } from "../../support/in-process-bridge.ts";
import { until } from "../../support/until.ts";

setDefaultTimeout(30_000);
const shared = brokerForFile({ probe: ["#"] });
const SERIAL = simSerial(11);

type Reply = { transaction: string; status: string; data?: Record<string, unknown>; error?: string };

test("raw PWM and contactor commands pass the same clamp and switch limit on every path", async () => {
  const bridge = await startInProcess(dehnePlugin, shared.url, {
    listen: "127.0.0.1:0",
    topic_publish: "from_guardtest",
    topic_subscribe: "to_guardtest",
    poll_interval_s: 1,
    max_current_a: 16,
    contactor_min_interval_s: 30,
  });
  const port = "port" in bridge.running && typeof bridge.running.port === "number" ? bridge.running.port : 0;
  const sim = new SimulatedDehne({ target: { host: "127.0.0.1", port }, serial: SERIAL, firmware: 4, reconnectMs: 200 });
  const probe = shared.probe;
  let n = 0;
  const request = async (action: string, args: Record<string, unknown>): Promise<Reply> => {
    const transaction = `g${n++}`;
    const since = probe.mark();
    await probe.publish(`${bridge.base}/${SERIAL}/request`, { transaction, action, args });
    return probe.waitJson<Reply>(`${bridge.base}/${SERIAL}/response`, (x) => x.transaction === transaction, 5000, since);
  };
  const pwmFrames = () => sim.received.filter((r) => r.type === "set_pwm").length;
  const contactorFrames = () => sim.received.filter((r) => r.type === "set_contactor").length;
  try {
    await sim.start();
    await probe.wait(`${bridge.base}/${SERIAL}/availability`, (m) => m.text === "online");
    await sim.plugIn();
    await until(() => bridge.hub.state(SERIAL)?.iec_state === "B", "car plugged in seen");

    // 80 % would offer 48 A: lowered to the 16 A maximum (27 %), and the reply says so.
    expect((await request("set_pwm_percent", { pwm_percent: 80 })).data).toEqual({ pwm_percent: 27, clamped_from: 80 });
    expect(sim.pwm).toBe(27);
    // 5 % would offer 3 A, below the 6 A minimum: refused, nothing sent.
    const before = pwmFrames();
    expect((await request("set_pwm_percent", { pwm_percent: 5 })).error).toMatch(/below the minimum 6 A/);
    expect(pwmFrames()).toBe(before);

    // Closing the contactor is a switch; closing it again is redundant: no frame, interval untouched.
    expect((await request("set_contactor_state", { contactor_state: true })).data).toEqual({ contactor_state: true });
    await until(() => sim.contactor, "contactor closed");
    const frames = contactorFrames();
    expect((await request("set_contactor_state", { contactor_state: true })).data).toEqual({ contactor_state: true, unchanged: true });
    expect(contactorFrames()).toBe(frames);

    // Toggling the offer with the contactor closed: stopping is honoured, starting again is not (30 s).
    expect((await request("set_pwm_percent", { pwm_percent: 100 })).status).toBe("ok");
    expect(sim.pwm).toBe(100);
    expect((await request("set_pwm_percent", { pwm_percent: 10 })).error).toMatch(/set_pwm_percent 10 refused: .*minimum interval 30 s/);
    expect(sim.pwm).toBe(100);
    // The compatible layout takes the same path and gets the same refusal.
    const since = probe.mark();
    await probe.publish("to_guardtest", { message_type: "request_set_pwm_percent", client_id: SERIAL, pwm_percent: 10 });
    const e = await probe.waitJson<{ message_type: string; error: string }>("from_guardtest", (m) => m.message_type === "error", 5000, since);
    expect(e.error).toMatch(/set_pwm_percent 10 refused/);
    expect(sim.pwm).toBe(100);
    // Every frame went through the counted codec (the /metrics frame counters).
    expect(framesIn.get({ protocol: "dehne" })).toBeGreaterThan(5);
    expect(framesOut.get({ protocol: "dehne" })).toBeGreaterThan(5);
    expect(badFrames.get({ protocol: "dehne" })).toBe(0);
  } finally {
    await sim.stop();
    await bridge.stop();
  }
});
