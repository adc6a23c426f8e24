// Bursts of switching commands through every command path (normalized /set, /request, the
// compatible layout) against the bridge as a process: at most one switch per interval gets through.
import { expect, setDefaultTimeout, test } from "bun:test";
import { simSerial } from "../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../test/support/broker-for-file.ts";
import { freePort } from "../test/support/ports.ts";
import { MqttProbe } from "../test/support/mqtt-probe.ts";
import { until } from "../test/support/until.ts";
import { base, bridge, cli, report } from "./support.ts";

setDefaultTimeout(120_000);
const shared = brokerForFile();

type Reply = { transaction?: unknown; status: string; error?: string; data?: unknown };

test("switching bursts through /set, /request and the compatible layouts: one switch per interval", async () => {
  const b = base("burst");
  const ports = { dehne: await freePort(), ocpp: await freePort() };
  const probe = await MqttProbe.connect(shared.url, [`${b}/#`, `from_${b}`, `${b}_ocpp/#`]);
  const p = bridge(`[mqtt]\nurl = "${shared.url}"\nbase_topic = "${b}"\nclient_id = "${b}"\n[homeassistant]\ndiscovery = false\n[dehne]\nlisten = "127.0.0.1:${ports.dehne}"\npoll_interval_s = 1\ncontactor_min_interval_s = 30\nmax_current_a = 16\ntopic_publish = "from_${b}"\ntopic_subscribe = "to_${b}"\n[ocpp]\nlisten = "127.0.0.1:${ports.ocpp}"\ncompat_base = "${b}_ocpp"\nswitch_min_interval_s = 30\ncharging_enabled_default = true\n`);
  await until(() => p.log.includes("evse2mqtt running"), "bridge running", 20_000);
  const sims = [
    cli("simulate", "dehne", "--connect", `127.0.0.1:${ports.dehne}`, "--count", "1", "--no-car"),
    cli("simulate", "ocpp", "--connect", `ws://127.0.0.1:${ports.ocpp}`, "--prefix", "BURST", "--count", "1", "--interval", "1", "--plug-after", "0.5", "--charge-for", "600"),
  ];
  const D = simSerial(1);
  let n = 0;
  const fire = async (topic: string, body: Record<string, unknown>): Promise<string> => {
    const transaction = `b${n++}`;
    await probe.publish(topic, { transaction, ...body });
    return transaction;
  };
  const replies = async (id: string, txs: string[]): Promise<Reply[]> => {
    const out: Reply[] = [];
    for (const tx of txs) out.push(await probe.waitJson<Reply>(`${b}/${id}/response`, (r) => r.transaction === tx, 30_000));
    return out;
  };
  try {
    await probe.wait(`${b}/${D}/availability`, (m) => m.text === "online", 30_000);
    await probe.waitJson(`${b}/BURST1`, (s) => s.status === "charging", 30_000);

    // Dehne, /request: 20 contactor flips (the first closes it; the rest are refused or redundant).
    const dCont: string[] = [];
    for (let i = 0; i < 20; i++) dCont.push(await fire(`${b}/${D}/request`, { action: "set_contactor_state", args: { contactor_state: i % 2 === 0 } }));
    const contactorSwitches = (await replies(D, dCont)).filter((r) => r.status === "ok" && !JSON.stringify(r.data).includes("unchanged")).length;
    // With the contactor closed, offering current is switching energy: /set flips and raw duty-cycle
    // flips 10 % ↔ 100 % are held to the same interval.
    const dPwm: string[] = [];
    for (let i = 0; i < 40; i++) dPwm.push(await fire(`${b}/${D}/request`, { action: "set_pwm_percent", args: { pwm_percent: i % 2 === 0 ? 100 : 10 } }));
    const pwmOn = (await replies(D, dPwm)).filter((r, i) => r.status === "ok" && i % 2 === 1).length;
    // (A disable opens the contactor when no car asks; after that no offer can switch energy.)
    const dSet: string[] = [];
    for (let i = 0; i < 20; i++) dSet.push(await fire(`${b}/${D}/set`, { enabled: i % 2 === 1 }));
    const dSetOk = (await replies(D, dSet)).filter((r, i) => r.status === "ok" && i % 2 === 1).length;
    // Dehne, compatible layout: 20 contactor flips; what reached the charger is what it acknowledged.
    const ackBefore = probe.messages.filter((m) => m.topic === `from_${b}` && m.text.includes("response_set_contactor_state")).length;
    const mark = probe.mark();
    for (let i = 0; i < 20; i++) await probe.publish(`to_${b}`, { message_type: "request_set_contactor_state", client_id: D, contactor_state: i % 2 === 1 });
    await probe.publish(`to_${b}`, { message_type: "request_ping", client_id: D });
    await probe.wait(`from_${b}`, (m) => m.text.includes("response_ping"), 30_000, mark);
    const compatSwitches = probe.messages.filter((m) => m.topic === `from_${b}` && m.text.includes("response_set_contactor_state")).length - ackBefore;

    // OCPP: ChangeAvailability 40× through /request, RemoteStop/Start 20× through the compat cmd.
    const oReq: string[] = [];
    for (let i = 0; i < 40; i++) oReq.push(await fire(`${b}/BURST1/request`, { action: "ChangeAvailability", args: { connectorId: 0, type: i % 2 === 0 ? "Inoperative" : "Operative" } }));
    const availabilitySwitches = (await replies("BURST1", oReq)).filter((r) => r.status === "ok" && !JSON.stringify(r.data).includes("nothing sent")).length;
    const tx = Number((await probe.wait(`${b}_ocpp/BURST1/state/transaction_id`, (m) => /^\d+$/.test(m.text), 30_000)).text);
    const cmdMark = probe.mark();
    for (let i = 0; i < 20; i++) {
      await probe.publish(`${b}_ocpp/BURST1/cmd`, i % 2 === 0 ? { action: "RemoteStopTransaction", args: { transactionId: tx }, id: `c${i}` } : { action: "RemoteStartTransaction", args: { idTag: "X" }, id: `c${i}` });
    }
    await until(() => probe.messages.filter((m) => m.seq >= cmdMark && m.topic === `${b}_ocpp/BURST1/cmd_response`).length >= 20, "20 cmd responses", 60_000);
    // A switch is a command the charger accepted (a stop for a transaction it does not know is rejected by it).
    const cmdOk = probe.messages.filter((m) => m.seq >= cmdMark && m.topic === `${b}_ocpp/BURST1/cmd_response` && /"status":"ok"/.test(m.text) && /"status":"Accepted"/.test(m.text)).length;

    expect(dSetOk).toBeLessThanOrEqual(1);
    expect(pwmOn).toBeLessThanOrEqual(1);
    expect(contactorSwitches).toBeLessThanOrEqual(1);
    expect(compatSwitches).toBeLessThanOrEqual(1);
    expect(availabilitySwitches).toBeLessThanOrEqual(1);
    expect(cmdOk).toBeLessThanOrEqual(1);
    report(
      "switch-bursts",
      `dehne /request contactor ${contactorSwitches}/20, /set enable ${dSetOk}/10, /request PWM on ${pwmOn}/20, compat contactor ${compatSwitches}/20; ocpp /request ChangeAvailability ${availabilitySwitches}/40, compat Remote Start/Stop ${cmdOk}/20 got through (limit 30 s)`,
    );
  } finally {
    await probe.close();
    await Promise.all(sims.map((s) => s.stop()));
    await p.stop();
  }
});
