// A charging session end to end: simulated controller ⇄ pty (TCP without socat) ⇄ bridge ⇄ Mosquitto ⇄ probe, with
// the gateway's status values (§10.2) and the normalized layout checked at each step.
import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { E2E_TIMEOUT_MS, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

test("plug → charge → unplug: §10.2 values and the normalized state follow the controller", async () => {
  const r = await rig(mosq.url);
  try {
    await r.probe.wait(`${r.base}/garage/availability`, (m) => m.text === "online");
    expect(JSON.parse(await r.value("announce", (v) => v.includes('"connected"')))).toEqual({ state: "connected", id: "garage", name: "garage", mqtt: r.b });
    const idle = await r.state((s) => s.status === "available");
    expect(idle).toMatchObject({ protocol: "openevse", enabled: true, current_limit_a: 32, power_w: 0, iec_state: "A", temperature_c: 25, errors: [] });
    // The start-up dump: the gateway's plain values.
    const dump: [string, string][] = [["state", "1"], ["vehicle", "0"], ["pilot", "32"], ["max_current", "32"], ["amp", "0"], ["colour", "2"], ["status", "active"], ["evse_connected", "1"], ["temp", "250"], ["temp1", "250"], ["temp2", "false"], ["divertmode", "1"], ["flags", "512"]];
    for (const [k, v] of dump) {
      expect(await r.value(k)).toBe(v);
    }
    // The retained configuration document, with what the controller reported.
    const config = JSON.parse(await r.value("config", (v) => v.includes("8.2.3")));
    expect(config).toMatchObject({ firmware: "8.2.3", protocol: "5.2.1", mqtt_topic: r.b, max_current_soft: 32, max_current_hard: 32, heartbeat_interval: 2 });
    expect(Number(await r.value("config_version"))).toBeGreaterThanOrEqual(1);
    // The bridge applied its target with the volatile form of $SC, never the EEPROM one.
    await until(() => r.sent().includes("$SC 32 V"), "the start-up's $SC 32 V");
    expect(r.sent().filter((c) => /^\$SC \d+$/.test(c))).toEqual([]);

    let since = r.probe.mark();
    await r.host.plugIn();
    expect(await r.value("state", undefined, since)).toBe("2");
    expect(await r.value("vehicle", undefined, since)).toBe("1");
    expect(await r.value("colour", undefined, since)).toBe("3");
    expect(await r.state((s) => s.status === "connected", since)).toMatchObject({ iec_state: "B", enabled: true });

    since = r.probe.mark();
    await r.host.carRequestsCharge(true);
    expect(await r.value("state", (v) => v === "3", since)).toBe("3");
    expect(await r.value("colour", undefined, since)).toBe("6");
    // $GG every second while charging: 32 A at the simulator's 240 V; power from the bridge's 230 V (§9.4).
    expect(await r.value("amp", (v) => v !== "0", since)).toBe("32000");
    expect(await r.value("power", (v) => v !== "0", since)).toBe("7360");
    const charging = await r.state((s) => s.status === "charging" && s.power_w === 7360, since);
    expect(charging).toMatchObject({ iec_state: "C", current_a: [32, null, null], voltage_v: [230, null, null] });
    // Energy from the controller's own meter ($GU), in Wh.
    const energised = await r.state((s) => typeof s.energy_session_wh === "number" && s.energy_session_wh > 0, since, 15_000);
    expect(energised.energy_total_wh).toBeGreaterThanOrEqual(0);
    expect(Number(await r.value("session_energy", (v) => Number(v) > 0, since, 40_000))).toBeGreaterThan(0);

    since = r.probe.mark();
    await r.host.carRequestsCharge(false);
    await r.host.unplug();
    expect(await r.value("state", (v) => v === "1", since)).toBe("1");
    expect(await r.value("vehicle", undefined, since)).toBe("0");
    expect(await r.value("amp", undefined, since)).toBe("0");
    expect(await r.state((s) => s.status === "available" && s.power_w === 0, since)).toMatchObject({ iec_state: "A" });
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS * 2);
