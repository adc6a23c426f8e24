// The OCPP items of the Home Assistant issue: connector 0's meter kept apart from connector 1's
// totals, an honest IEC 61851 letter in `iec_state`, capabilities for discovery. Raw charge point
// ⇄ bridge ⇄ real Mosquitto, plus the device against a recording registry.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { argumentless } from "../../../lib/actions.ts";
import { silentLogger } from "../../../lib/log.ts";
import type { IecState, NormalizedState } from "../../../lib/normalized.ts";
import type { ChargerMeta, ChargerRegistry } from "../../../lib/protocol.ts";
import { ocppActions } from "../../../protocols/ocpp/actions.ts";
import { ocppSectionSchema } from "../../../protocols/ocpp/config.ts";
import { OcppDevice } from "../../../protocols/ocpp/device.ts";
import { iecState } from "../../../protocols/ocpp/status.ts";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { RawCp, startOcpp } from "./helpers.ts";

setDefaultTimeout(20_000);

const shared = brokerForFile({ probe: ["#"] });
const boot = (cp: RawCp) => cp.call("b", "BootNotification", { chargePointVendor: "V", chargePointModel: "M" });
const now = () => new Date().toISOString();
const register = (connectorId: number, wh: number, extra: Record<string, unknown>[] = []) => ({
  connectorId,
  meterValue: [{ timestamp: now(), sampledValue: [{ value: String(wh), measurand: "Energy.Active.Import.Register", unit: "Wh" }, ...extra] }],
});

describe("OCPP for Home Assistant", () => {
  test("connector 0's meter never changes connector 1's energy counters; it shows under raw.charge_point_meter", async () => {
    const bridge = await startOcpp(shared.url, {});
    const cp = await RawCp.connect(bridge.url("/METER0"));
    try {
      await boot(cp);
      const start = await cp.call("s", "StartTransaction", { connectorId: 1, idTag: "T", meterStart: 5000, timestamp: now() });
      const tx = (start[2] as { transactionId: number }).transactionId;
      const since = shared.probe.mark();
      // The charger's own meter and the connector's, interleaved as real chargers send them.
      await cp.call("m1", "MeterValues", { ...register(1, 5100), transactionId: tx });
      await cp.call("m2", "MeterValues", register(0, 90_100, [{ value: "41", measurand: "Temperature", unit: "Celsius" }]));
      await cp.call("m3", "MeterValues", { ...register(1, 5200), transactionId: tx });
      await cp.call("m4", "MeterValues", register(0, 90_200));
      const last = await shared.probe.waitJson<NormalizedState>(`${bridge.base}/METER0`, (s) => (s.raw?.charge_point_meter as { energy_total_wh?: number } | undefined)?.energy_total_wh === 90_200, 5000, since);
      const totals = shared.probe.messages
        .filter((m) => m.seq >= since && m.topic === `${bridge.base}/METER0`)
        .map((m) => (JSON.parse(m.text) as NormalizedState).energy_total_wh);
      // meterStart (published once the transaction started) and connector 1's readings, nothing else.
      expect(totals.filter((t) => t !== 5000 && t !== 5100 && t !== 5200)).toEqual([]);
      // Never decreasing: Home Assistant would count a drop as a meter reset.
      expect(totals).toEqual([...totals].sort((a, b) => (a ?? 0) - (b ?? 0)));
      expect(last.energy_total_wh).toBe(5200);
      expect(last.energy_session_wh).toBe(200);
      expect(last.temperature_c).toBe(41);
      expect(last.raw).toEqual({ charge_point_meter: { energy_total_wh: 90_200, temperature_c: 41 } });
    } finally {
      cp.close();
      await bridge.stop();
    }
  });

  test("iec_state follows StatusNotification and the meter: A, B, C (current flowing), B (none), F, null", async () => {
    const bridge = await startOcpp(shared.url, {});
    const cp = await RawCp.connect(bridge.url("/IEC1"));
    try {
      await boot(cp);
      const state = (pred: (s: NormalizedState) => boolean, since: number) => shared.probe.waitJson<NormalizedState>(`${bridge.base}/IEC1`, pred, 5000, since);
      const status = (id: string, connectorId: number, s: string) => cp.call(id, "StatusNotification", { connectorId, errorCode: s === "Faulted" ? "OtherError" : "NoError", status: s });
      const amps = (id: string, a: number) => cp.call(id, "MeterValues", { connectorId: 1, meterValue: [{ timestamp: now(), sampledValue: [{ value: String(a), measurand: "Current.Import", unit: "A", phase: "L1" }] }] });
      let since = shared.probe.mark();
      await status("a", 1, "Available");
      expect((await state((s) => s.status === "available", since)).iec_state).toBe("A");
      since = shared.probe.mark();
      await status("p", 1, "Preparing");
      expect((await state((s) => s.status === "connected", since)).iec_state).toBe("B");
      since = shared.probe.mark();
      await status("c", 1, "Charging");
      expect((await state((s) => s.status === "charging", since)).iec_state).toBe("C");
      since = shared.probe.mark();
      await amps("z", 0);
      await state((s) => s.iec_state === "B" && s.status === "charging", since);
      since = shared.probe.mark();
      await amps("f", 16);
      await state((s) => s.iec_state === "C" && s.current_a[0] === 16, since);
      since = shared.probe.mark();
      await status("e", 1, "SuspendedEV");
      expect((await state((s) => s.status === "suspended", since)).iec_state).toBe("B");
      since = shared.probe.mark();
      await status("x", 0, "Faulted");
      expect((await state((s) => s.status === "error", since)).iec_state).toBe("F");
      since = shared.probe.mark();
      await status("u", 0, "Unavailable");
      expect((await state((s) => s.status === "disabled", since)).iec_state).toBeNull();
    } finally {
      cp.close();
      await bridge.stop();
    }
  });
});

describe("iec_state mapping and capabilities", () => {
  test("every 1.6 status gets a letter only where one honestly follows", () => {
    const cases: [string, boolean | undefined, IecState | null][] = [
      ["Available", undefined, "A"],
      ["Preparing", undefined, "B"],
      ["Finishing", true, "B"],
      ["SuspendedEV", undefined, "B"],
      ["SuspendedEVSE", undefined, "B"],
      ["Charging", undefined, "C"],
      ["Charging", true, "C"],
      ["Charging", false, "B"],
      ["Faulted", undefined, "F"],
      ["Unavailable", undefined, null],
      ["Reserved", undefined, null],
      ["", undefined, null],
    ];
    expect(cases.map(([s, flowing]) => iecState(s, flowing))).toEqual(cases.map(([, , letter]) => letter));
  });

  test("the charger and each extra connector announce power, energy, phases, enable, the current range and the table's argumentless actions as buttons", async () => {
    const attached: { id: string; meta: ChargerMeta }[] = [];
    const hub: ChargerRegistry = {
      attach: (id, meta) => {
        attached.push({ id, meta });
        return { id, update: () => Promise.resolve(), seen: () => {}, detail: () => Promise.resolve(), detach: () => {} };
      },
      state: () => undefined,
      remove: () => Promise.resolve(false),
    };
    const cfg = ocppSectionSchema.parse({ min_current_a: 6, max_current_a: 16 });
    const device = new OcppDevice({ hub, cfg, identity: "CAPS", session: () => undefined, setChargingEnabled: () => {}, log: silentLogger });
    await device.onEvent({ action: "BootNotification", request: { chargePointVendor: "V", chargePointModel: "M" }, response: { status: "Accepted", currentTime: now(), interval: 60 } });
    await device.onEvent({ action: "StatusNotification", request: { connectorId: 2, errorCode: "NoError", status: "Available" }, response: {} });
    expect(attached.map((a) => a.id)).toEqual(["CAPS", "CAPS_2"]);
    const buttons = argumentless(ocppActions);
    expect(buttons).toEqual(["soft_reset", "trigger_status", "trigger_meter_values"]);
    for (const { meta } of attached) {
      expect(meta.capabilities).toEqual({ power: true, energy: true, phases: true, enable: true, currentLimit: { min: 6, max: 16, step: 0.1, allowZero: true }, plug: true, buttons });
    }
  });
});
