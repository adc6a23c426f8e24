// The Dehne end-to-end scenario: simulated chargers ⇄ bridge process ⇄ real broker ⇄ MQTT client.
// Registered once per way of running the bridge (Bun, Deno, compiled binary).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import net from "node:net";
import { crc32 } from "../../lib/crc32.ts";
import { SimulatedDehne, simSerial } from "../../protocols/dehne/sim/charger.ts";
import { BridgeProcess, type Launcher } from "../support/bridge-process.ts";
import { writeConfigFile } from "../support/config-file.ts";
import { startBroker, type TestBroker } from "../support/broker.ts";
import { freePort } from "../support/ports.ts";
import { MqttProbe } from "../support/mqtt-probe.ts";
import { sleep, until } from "../support/until.ts";
import { dehneScenarioConfig } from "./dehne-config.ts";
import { retainedCommandCheck } from "./dehne-retained.ts";

type Json = Record<string, unknown>;
const A = simSerial(1);
const B = simSerial(2);
const B_NAME = "Charger 2";

export function dehneScenario(launcher: Launcher): void {
  setDefaultTimeout(30_000);
  describe(`dehne end to end (${launcher.name})`, () => {
    let broker: TestBroker;
    let bridge: BridgeProcess;
    let probe: MqttProbe;
    let port: number;
    let simA: SimulatedDehne;
    let simB: SimulatedDehne;
    const base = `e2e${Math.random().toString(16).slice(2, 8)}`;
    const pub = `from_${base}`;
    const sub = `to_${base}`;
    const compat = (pred: (m: Json) => boolean, since = 0, ms = 8000) => probe.waitJson<Json>(pub, pred, ms, since);
    const response = (id: string, tx: unknown, since = 0) => probe.waitJson<Json>(`${base}/${id}/response`, (m) => m.transaction === tx, 8000, since);
    const state = (id: string, pred: (s: Json) => boolean, since = 0, ms = 8000) => probe.waitJson<Json>(`${base}/${id}`, pred, ms, since);

    beforeAll(async () => {
      broker = await startBroker();
      port = await freePort();
      const cfg = writeConfigFile("dehne-e2e-", dehneScenarioConfig({ brokerUrl: broker.url, base, port, pub, sub, calibrated: A, named: B, name: B_NAME }));
      // A persistent session: the broker keeps what arrives for it while it or the broker is away.
      probe = await MqttProbe.connect(broker.url, [`${base}/#`, pub, "homeassistant/#"], { clientId: `${base}-probe`, clean: false });
      bridge = new BridgeProcess(launcher, cfg);
      const target = { host: "127.0.0.1", port };
      simA = new SimulatedDehne({ target, serial: A, firmware: 4, reconnectMs: 200 });
      simB = new SimulatedDehne({ target, serial: B, firmware: 2, reconnectMs: 200 });
    });

    afterAll(async () => {
      await simA?.stop();
      await simB?.stop();
      await bridge?.stop();
      await probe?.close();
      await broker?.dispose();
    });

    test("bridge comes online with its info", async () => {
      await probe.wait(`${base}/bridge/state`, (m) => m.text === "online", 20_000);
      const info = await probe.waitJson<Json>(`${base}/bridge/info`);
      expect(info.protocols).toEqual(["dehne"]);
      expect(String(info.runtime)).toContain(launcher.name === "deno" ? "deno" : "bun");
      // the port is open once the bridge says it runs
      await until(() => bridge.log.includes("evse2mqtt running"), "bridge running", 20_000);
    });

    test("chargers connect: new_connection, availability, discovery", async () => {
      await simA.start();
      await simB.start();
      const a = await compat((m) => m.message_type === "new_connection" && m.client_id === A);
      expect(JSON.stringify(a)).toBe(`{"message_type":"new_connection","client_id":"${A}","handshake":{"firmware_version":4}}`);
      const b = await compat((m) => m.message_type === "new_connection" && m.client_id === B_NAME);
      expect(b.handshake).toEqual({ firmware_version: 2 });
      await probe.wait(`${base}/${A}/availability`, (m) => m.text === "online");
      await probe.wait(`${base}/${B}/availability`, (m) => m.text === "online");
      // Discovery ids carry the base topic, so two bridges never share a Home Assistant device.
      const disc = await probe.waitJson<Json>(`homeassistant/switch/${base}_${A}/enabled/config`);
      expect(disc.command_topic).toBe(`${base}/${A}/set`);
    });

    test("the bridge polls by itself; legacy firmware uses the 36-byte layout", async () => {
      const a = await compat((m) => m.message_type === "response_collect_data" && m.client_id === A);
      expect(a.pwm_percent).toBe(100);
      const b = await compat((m) => m.message_type === "response_collect_data" && m.client_id === B_NAME);
      expect((b.measurements as Json).current_control_pilot_adc).toBe(0);
      expect((b.measurements as Json).wifi_rssi).toBeLessThan(0);
      const s = await state(A, (x) => x.status === "available");
      expect(s.iec_state).toBe("A");
      // A is calibrated: real (zero) volts with the contactor open
      expect(s.voltage_v).toEqual([0, 0, 0]);
      expect((s.raw as Json).phase_voltage_adc).toEqual([0, 0, 0]);
      // B has no calibration: raw ADC counts only, never passed off as volts
      const sb = await state(B, (x) => x.status === "available");
      expect(sb.current_a).toEqual([null, null, null]);
      expect(sb.power_w).toBeNull();
    });

    test("notify → immediate collect → normalized state", async () => {
      const before = simA.received.length;
      const t0 = probe.mark();
      const started = Date.now();
      await simA.plugIn();
      await compat((m) => m.message_type === "notify" && m.client_id === A, t0);
      await until(() => simA.received.slice(before).some((r) => r.type === "collect"), "collect after notify", 2000, 5);
      expect(Date.now() - started).toBeLessThan(900);
      const s = await state(A, (x) => x.iec_state === "B", t0);
      expect(s.status).toBe("suspended");
      expect(s.enabled).toBe(false);
    });

    test("/set enabled with current clamped to max_current_a → charging", async () => {
      const t0 = probe.mark();
      await probe.publish(`${base}/${A}/set`, { transaction: "s1", enabled: true, current_limit_a: 40 });
      const r = await response(A, "s1", t0);
      expect(r.status).toBe("ok");
      expect(r.data).toMatchObject({ enabled: true, current_limit_a: 32, pwm_percent: 54, clamped_from: 40 });
      expect(simA.pwm).toBe(54);
      const s = await state(A, (x) => x.status === "charging", t0);
      expect(simA.contactor).toBe(true);
      expect(s.current_limit_a).toBe(32);
      expect(s.iec_state).toBe("C");
      const v = s.voltage_v as number[];
      expect(v[0]).toBeGreaterThan(225);
      expect(v[0]).toBeLessThan(235);
      expect(s.power_w as number).toBeGreaterThan(15_000);
    });

    test("/set enabled false: PWM 100 now, contactor opens once the car pauses", async () => {
      const t0 = probe.mark();
      await probe.publish(`${base}/${A}/set`, { transaction: "s2", enabled: false });
      const r = await response(A, "s2", t0);
      expect(r.status).toBe("ok");
      expect(simA.pwm).toBe(100);
      await until(() => !simA.contactor, "contactor opened", 5000);
      const s = await state(A, (x) => x.status === "suspended" && (x.raw as Json).contactor_closed === false, t0);
      expect(s.enabled).toBe(false);
    });

    test("re-enabling within the switch interval is refused with a reason", async () => {
      const t0 = probe.mark();
      await probe.publish(`${base}/${A}/set`, { transaction: "s3", enabled: true });
      const r = await response(A, "s3", t0);
      expect(r.status).toBe("error");
      expect(String(r.error)).toMatch(/refused: the last on\/off switch was \d+ s ago/);
      expect(simA.pwm).toBe(100);
    });

    test("a current limit while disabled is stored, never enables; below the minimum is refused", async () => {
      const t0 = probe.mark();
      await probe.publish(`${base}/${A}/set`, { transaction: "s4", current_limit_a: 10 });
      const r = await response(A, "s4", t0);
      expect(r.data).toMatchObject({ enabled: false, current_limit_a: 10 });
      expect(simA.pwm).toBe(100);
      await probe.publish(`${base}/${A}/set`, { transaction: "s5", current_limit_a: 3 });
      const low = await response(A, "s5", t0);
      expect(low.status).toBe("error");
      expect(String(low.error)).toContain("below the minimum 6 A");
      expect(simA.pwm).toBe(100);
    });

    test("every compatible command reaches the charger and its reply comes back", async () => {
      let t0 = probe.mark();
      await probe.publish(sub, { message_type: "request_ping", client_id: B_NAME });
      await compat((m) => m.message_type === "response_ping" && m.client_id === B_NAME, t0);
      await probe.publish(sub, { message_type: "request_data_collection", client_id: B_NAME });
      await compat((m) => m.message_type === "response_collect_data" && m.client_id === B_NAME, t0);
      await probe.publish(sub, { message_type: "request_set_pwm_percent", client_id: B_NAME, pwm_percent: 50 });
      await compat((m) => m.message_type === "response_set_pwm_percent" && m.client_id === B_NAME, t0);
      expect(simB.pwm).toBe(50);
      await probe.publish(sub, { message_type: "request_set_contactor_state", client_id: B_NAME, contactor_state: true });
      await compat((m) => m.message_type === "response_set_contactor_state" && m.client_id === B_NAME, t0);
      expect(simB.contactor).toBe(true);
      t0 = probe.mark();
      await probe.publish(sub, { message_type: "request_set_contactor_state", client_id: B_NAME, contactor_state: false });
      const e = await compat((m) => m.message_type === "error" && m.client_id === B_NAME, t0);
      expect(String(e.error)).toMatch(/refused/);
      expect(simB.contactor).toBe(true);
    });

    test("bad commands get an error and no byte reaches any charger", async () => {
      const commandsOf = (s: SimulatedDehne) => s.received.filter((r) => r.type !== "collect").length;
      const beforeA = commandsOf(simA);
      const beforeB = commandsOf(simB);
      const bad: [string, RegExp][] = [
        ["{not json", /not valid JSON/],
        [JSON.stringify({ message_type: "request_launch", client_id: B_NAME }), /message_type/],
        [JSON.stringify({ message_type: "request_set_pwm_percent", client_id: B_NAME }), /pwm_percent/],
        [JSON.stringify({ message_type: "request_set_pwm_percent", client_id: B_NAME, pwm_percent: 101 }), /0–100/],
        [JSON.stringify({ message_type: "request_set_contactor_state", client_id: B_NAME, contactor_state: "on" }), /contactor_state/],
        [JSON.stringify({ message_type: "notify", client_id: B_NAME }), /goes from charger to MQTT/],
        [JSON.stringify({ message_type: "request_ping", client_id: "nobody" }), /no connected charger with client_id "nobody"/],
        [JSON.stringify({ message_type: "request_firmware", client_id: B_NAME, firmware: { firmware_data_base64: "MTIzNDU2Nzg5", firmware_crc32: 1 } }), /does not match/],
      ];
      for (const [payload, why] of bad) {
        const t0 = probe.mark();
        await probe.publish(sub, payload);
        const e = await compat((m) => m.message_type === "error", t0);
        expect(String(e.error)).toMatch(why);
      }
      await sleep(300);
      expect(commandsOf(simA)).toBe(beforeA);
      expect(commandsOf(simB)).toBe(beforeB);
    });

    test("/request answers with the transaction echoed; unknown things are errors", async () => {
      const t0 = probe.mark();
      await probe.publish(`${base}/${A}/request`, { transaction: "t-7", action: "collect_data" });
      const ok = await response(A, "t-7", t0);
      expect(ok.status).toBe("ok");
      expect((ok.data as Json).pwm_percent).toBe(100);
      await probe.publish(`${base}/${A}/request`, { transaction: 2, action: "launch" });
      expect(String((await response(A, 2, t0)).error)).toMatch(/unknown action "launch"/);
      await probe.publish(`${base}/${A}/request`, { transaction: 3, action: "set_pwm_percent", args: { pwm_percent: "x" } });
      expect(String((await response(A, 3, t0)).error)).toMatch(/pwm_percent/);
      // A misspelt key is an error, never the action with default arguments.
      await probe.publish(`${base}/${A}/request`, { transaction: 6, action: "set_pwm_percent", arg: { pwm_percent: 10 } });
      expect(String((await response(A, 6, t0)).error)).toMatch(/arg/);
      await probe.publish(`${base}/NOPE/request`, { transaction: 4, action: "ping" });
      expect(String((await response("NOPE", 4, t0)).error)).toMatch(/unknown charger "NOPE"/);
      await probe.publish(`${base}/${A}/set`, { transaction: 5, enabled: "yes" });
      expect(String((await response(A, 5, t0)).error)).toMatch(/enabled/);
      await probe.publish(`${base}/${A}/set`, `{"transaction":7,"args":{"password":"987654"}`);
      const err = await probe.waitJson<Json>(`${base}/${A}/response`, (m) => m.status === "error" && String(m.error).includes("not valid JSON"), 5000, t0);
      expect(err.transaction).toBeUndefined();
      // A broken payload is never echoed: it may carry a secret.
      expect(String(err.error)).not.toContain("987654");
      expect(bridge.log).not.toContain("987654");
    });

    test("normalized state is republished periodically with a fresh last_seen", async () => {
      const t0 = probe.mark();
      const s = await state(A, () => true, t0);
      const s2 = await state(A, (x) => x.last_seen !== s.last_seen, probe.mark(), 5000);
      expect(Date.parse(String(s2.last_seen))).toBeGreaterThan(Date.parse(String(s.last_seen)));
    });

    test("garbage from one charger closes only its connection; it comes back", async () => {
      const t0 = probe.mark();
      await simB.sendRaw(Uint8Array.of(7, 0, 0, 0, 0));
      await compat((m) => m.message_type === "disconnected" && m.client_id === B_NAME, t0);
      await probe.wait(`${base}/${B}/availability`, (m) => m.text === "offline", 5000, t0);
      await compat((m) => m.message_type === "new_connection" && m.client_id === B_NAME, t0);
      await probe.wait(`${base}/${B}/availability`, (m) => m.text === "online", 5000, t0);
      expect(probe.messages.some((m) => m.topic === `${base}/${A}/availability` && m.text === "offline" && m.seq >= t0)).toBe(false);
    });

    test("a handshake that never completes is closed (N5)", async () => {
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => s.write(Buffer.alloc(10, 0xab)));
        const started = Date.now();
        s.on("close", () => resolve(Date.now() - started));
        s.on("error", () => {});
        setTimeout(() => reject(new Error("not closed")), 4000);
      });
      expect(closedAfter).toBeGreaterThanOrEqual(800);
    });

    test("a charger that stops answering is dropped after the reply timeout and reconnects", async () => {
      const t0 = probe.mark();
      simB.mute = true;
      await probe.wait(`${base}/${B}/availability`, (m) => m.text === "offline", 5000, t0);
      simB.mute = false;
      await probe.wait(`${base}/${B}/availability`, (m) => m.text === "online", 5000, t0);
      // Its new_connection may come after the availability; later tests must not take it for theirs.
      await compat((m) => m.message_type === "new_connection" && m.client_id === B_NAME, t0);
    });

    test("a second connection with the same serial replaces the first", async () => {
      const t0 = probe.mark();
      const before = simA.connections;
      const closed = new Promise<void>((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => s.write(Buffer.concat([Buffer.from(A, "hex"), Buffer.of(4)])));
        // Read (and ignore) the polls, or the socket never sees the end of the stream.
        s.on("data", () => {});
        s.on("close", () => resolve());
        s.on("error", () => {});
      });
      // The simulator's old socket is closed by the bridge; it reconnects and in turn replaces the raw one.
      await until(() => simA.connections > before, "simulator reconnected after being replaced", 5000);
      await closed;
      await compat((m) => m.message_type === "new_connection" && m.client_id === A, t0);
      await state(A, (x) => x.status !== "offline", t0);
    });

    test("firmware upload: sent, charger reboots and reconnects with the new version", async () => {
      const t0 = probe.mark();
      const image = new TextEncoder().encode("firmware image v3".repeat(100));
      await probe.publish(sub, { message_type: "request_firmware", client_id: B_NAME, firmware: { firmware_data_base64: Buffer.from(image).toString("base64"), firmware_crc32: crc32(image) } });
      // A reconnect left over from the previous test may still announce the old firmware: wait for the new one.
      const b = await compat((m) => m.message_type === "new_connection" && m.client_id === B_NAME && (m.handshake as Json | undefined)?.firmware_version !== 2, t0);
      expect(b.handshake).toEqual({ firmware_version: 3 });
      const after = probe.mark();
      const d = await compat((m) => m.message_type === "response_collect_data" && m.client_id === B_NAME, after);
      expect(typeof (d.measurements as Json).current_control_pilot_adc).toBe("number");
    });

    test("a command published retained is not executed, and is cleared from the broker (MQTT 5; 3.1.1 after a reconnect)", () =>
      retainedCommandCheck({ broker, bridge, probe, base, id: A, pings: () => simA.received.filter((r) => r.type === "ping").length, response }));

    test("broker restart: bridge reconnects, republishes online and state, delivers queued events", async () => {
      const pings = () => simA.received.filter((r) => r.type === "ping").length;
      await response(A, "sentinel");
      const pingsBefore = pings();
      await broker.stop();
      const down = probe.mark();
      await sleep(300);
      await simA.unplug(); // notify + data while the broker is away
      await simB.stop(); // a disconnect while the broker is away
      await sleep(1200);
      await broker.restart();
      await probe.wait(`${base}/bridge/state`, (m) => m.text === "online", 15_000, down);
      await compat((m) => m.message_type === "notify" && m.client_id === A, down, 15_000);
      await compat((m) => m.message_type === "disconnected" && m.client_id === B_NAME, down, 15_000);
      await state(A, (x) => x.iec_state === "A", down, 15_000);
      await probe.wait(`${base}/${B}/availability`, (m) => m.text === "offline", 15_000, down);
      // Nothing replayed after the restart: no charger saw a request it was not sent live.
      // (Counted at the charger: QoS 1 may deliver an earlier response to the probe twice.)
      await probe.publish(`${base}/${A}/request`, { transaction: "after-restart", action: "ping" });
      await response(A, "after-restart", down);
      expect(pings()).toBe(pingsBefore + 1);
    });

    test("charger disconnect → offline", async () => {
      const t0 = probe.mark();
      await simA.stop();
      await probe.wait(`${base}/${A}/availability`, (m) => m.text === "offline", 5000, t0);
      await state(A, (x) => x.status === "offline", t0);
      await compat((m) => m.message_type === "disconnected" && m.client_id === A, t0);
    });

    test("SIGTERM: exits 0 and leaves bridge/state offline", async () => {
      const t0 = probe.mark();
      const code = await bridge.stop();
      expect(code).toBe(0);
      await probe.wait(`${base}/bridge/state`, (m) => m.text === "offline", 5000, t0);
    });
  });
}
