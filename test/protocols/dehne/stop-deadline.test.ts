// Simulated Dehne charger ⇄ bridge ⇄ real Mosquitto: an automation that re-sends /set every second
// after a disable does not keep the contactor closed past the first stop deadline.
import { expect, setDefaultTimeout, test } from "bun:test";
import { dehnePlugin } from "../../../protocols/dehne/index.ts";
import { SimulatedDehne, simSerial } from "../../../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { startInProcess } from "../../support/in-process-bridge.ts";
import { sleep, until } from "../../support/until.ts";

setDefaultTimeout(30_000);

const shared = brokerForFile({ probe: ["#"] });
const SERIAL = simSerial(7);
const DELAY_S = 3;

test("repeated /set every second after a disable: the contactor opens at the first deadline", async () => {
  const bridge = await startInProcess(dehnePlugin, shared.url, { listen: "127.0.0.1:0", compatible: false, poll_interval_s: 1, contactor_min_interval_s: 0, stop_delay_s: DELAY_S });
  const port = "port" in bridge.running && typeof bridge.running.port === "number" ? bridge.running.port : 0;
  const sim = new SimulatedDehne({ target: { host: "127.0.0.1", port }, serial: SERIAL, firmware: 4, reconnectMs: 200 });
  const probe = shared.probe;
  let n = 0;
  const set = async (body: Record<string, unknown>) => {
    const transaction = `t${n++}`;
    const since = probe.mark();
    await probe.publish(`${bridge.base}/${SERIAL}/set`, { transaction, ...body });
    return probe.waitJson<{ transaction: string; status: string; data?: Record<string, unknown> }>(`${bridge.base}/${SERIAL}/response`, (x) => x.transaction === transaction, 5000, since);
  };
  try {
    await sim.start();
    await probe.wait(`${bridge.base}/${SERIAL}/availability`, (m) => m.text === "online");
    await sim.plugIn();
    expect((await set({ enabled: true, current_limit_a: 16 })).status).toBe("ok");
    await until(() => sim.contactor, "contactor closed for charging");
    // A car that goes on asking for charge at PWM 100 %: only the deadline opens the contactor.
    sim.carIgnoresPwm = true;
    const t0 = Date.now();
    const off = await set({ enabled: false });
    expect(off.data).toMatchObject({ enabled: false, pwm_percent: 100, contactor: "opens when the car pauses" });
    expect(sim.pwm).toBe(100);
    let openedAt: number | undefined;
    // Re-sent every second for up to three deadlines, as automations do; each reply still says "disabled".
    for (let i = 0; i < 3 * DELAY_S && openedAt === undefined; i++) {
      const r = await set(i % 2 === 0 ? { current_limit_a: 10 } : { enabled: false });
      expect(r.data).toMatchObject({ enabled: false, pwm_percent: 100 });
      const end = Date.now() + 1000;
      while (Date.now() < end && sim.contactor) await sleep(20);
      if (!sim.contactor) openedAt = Date.now();
    }
    expect(openedAt).toBeDefined();
    const after = (openedAt ?? 0) - t0;
    expect(after).toBeGreaterThanOrEqual(DELAY_S * 1000);
    // The deadline timer fires at the deadline; polls (1 s) and the loop's 20 ms checks add the rest.
    expect(after).toBeLessThan(DELAY_S * 1000 + 1000);
    expect(sim.received.filter((r) => r.type === "set_contactor" && !r.on)).toHaveLength(1);
  } finally {
    await sim.stop();
    await bridge.stop();
  }
});
