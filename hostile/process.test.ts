// The bridge as a process against a broker that goes away or refuses it, and its secrets.
import { expect, setDefaultTimeout, test } from "bun:test";
import { brokerForFile } from "../test/support/broker-for-file.ts";
import { writeConfigFile } from "../test/support/config-file.ts";
import { FakeBroker } from "../test/support/fake-broker.ts";
import { freePort } from "../test/support/ports.ts";
import { MqttProbe } from "../test/support/mqtt-probe.ts";
import { until } from "../test/support/until.ts";
import { base, bridge, cli, report } from "./support.ts";

setDefaultTimeout(60_000);
const shared = brokerForFile();

test("SIGTERM with the broker gone and QoS 1 messages unacknowledged: exit 0 within 5 s", async () => {
  const b = base("sig");
  const port = await freePort();
  const probe = await MqttProbe.connect(shared.url, [`${b}/bridge/state`]);
  const p = bridge(`[mqtt]\nurl = "${shared.url}"\nbase_topic = "${b}"\nclient_id = "${b}"\nreconnect_min_s = 0.2\n[dehne]\nlisten = "127.0.0.1:${port}"\npoll_interval_s = 1\n`);
  const sims = cli("simulate", "dehne", "--connect", `127.0.0.1:${port}`, "--count", "5");
  try {
    await probe.wait(`${b}/bridge/state`, (m) => m.text === "online", 20_000);
    await until(() => p.log.includes("charger connected"), "chargers connected", 10_000);
    await probe.close();
    await shared.broker.stop();
    // Events keep coming from the chargers while the broker is gone.
    await until(() => p.log.includes("mqtt disconnected"), "bridge noticed the outage", 15_000);
    const t0 = Date.now();
    const code = await p.stop(30_000);
    const took = Date.now() - t0;
    expect(code).toBe(0);
    expect(took).toBeLessThan(5000);
    report("sigterm-broker-gone", `exit ${code} after ${took} ms (bound 5000 ms)`);
  } finally {
    await sims.stop();
    await p.stop();
    await shared.broker.restart();
  }
});

test("one refused login, then accepted: the bridge keeps trying and connects", async () => {
  const fake = await FakeBroker.start({ refuse: 2 });
  const p = bridge(`[mqtt]\nurl = "${fake.url}"\nbase_topic = "${base("auth")}"\nreconnect_min_s = 0.1\nreconnect_max_s = 1\n[dehne]\nenabled = false\n`);
  try {
    const t0 = Date.now();
    await until(() => /mqtt connected/.test(p.log) && fake.connects >= 3, "connected after the refusals", 20_000);
    const refusals = p.log.split("\n").filter((l) => l.includes("mqtt broker refused the connection")).length;
    expect(refusals).toBe(2);
    report("mqtt-auth-refusal", `${refusals} refusals, connected after ${Date.now() - t0} ms, ${fake.connects} CONNECTs`);
  } finally {
    await p.stop();
    await fake.close();
  }
});

const SECRETS = { mqtt: "MqttPw-7731", ocpp: "CpPw-4411", authKey: "00112233AABBCCDD", pin: "613372" };

test("no secret in logs (debug), check-config or any MQTT payload", async () => {
  const b = base("sec");
  const ocppPort = await freePort();
  const emPort = await freePort();
  const toml = `[mqtt]
url = "${shared.url.replace("mqtt://", `mqtt://bridge:${SECRETS.mqtt}@`)}"
base_topic = "${b}"
client_id = "${b}"
[log]
level = "debug"
[dehne]
enabled = false
[ocpp]
listen = "127.0.0.1:${ocppPort}"
compat_base = "${b}_ocpp"
boot_configuration = { AuthorizationKey = "${SECRETS.authKey}" }
[ocpp.chargers.SEC1]
password = "${SECRETS.ocpp}"
[evsemaster]
bind = "127.0.0.1"
port = ${emPort}
discover_login = true
[[evsemaster.charger]]
serial = "8800000000000001"
password = "${SECRETS.pin}"
`;
  const check = cli("check-config", "-c", writeConfigFile("hostile-", toml));
  expect(await check.exited).toBe(0);
  const probe = await MqttProbe.connect(shared.url, ["#"]);
  const p = bridge(toml);
  await until(() => p.log.includes("evse2mqtt running"), "bridge listening", 20_000);
  const ocppSim = cli("simulate", "ocpp", "--connect", `ws://127.0.0.1:${ocppPort}`, "--prefix", "SEC", "--count", "1", "--password", SECRETS.ocpp, "--interval", "1");
  const emSim = cli("simulate", "evsemaster", "--target", `127.0.0.1:${emPort}`, "--bind", "127.0.0.1", "--password", SECRETS.pin, "--serial", "8800000000000001");
  try {
    await probe.wait(`${b}/SEC1`, (m) => m.text.includes('"status"'), 30_000).catch((e) => {
      throw new Error(`${String(e).slice(0, 200)}\nbridge: ${p.log.split("\n").filter((l) => /ocpp|SEC/i.test(l)).slice(-15).join("\n")}\nsim: ${ocppSim.output.join("").slice(-1500)}`);
    });
    await probe.wait(`${b}/8800000000000001/evsemaster`, (m) => m.text.includes('"logged_in":true'), 30_000);
    // Secrets sent at the bridge through command paths: a malformed compat cmd, a login request.
    await probe.publish(`${b}_ocpp/SEC1/cmd`, `{"action":"ChangeConfiguration","args":{"key":"AuthorizationKey","value":"${SECRETS.authKey}"`);
    await probe.publish(`${b}_ocpp/SEC1/cmd`, { action: "ChangeConfiguration", args: { key: "AuthorizationKey", value: SECRETS.authKey, bogus: 1 } });
    await probe.publish(`${b}/8800000000000001/request`, { transaction: "pin", action: "login", args: { password: SECRETS.pin } });
    await probe.publish(`${b}/8800000000000001/request`, `{"action":"login","args":{"password":"${SECRETS.pin}"`);
    await probe.waitJson(`${b}/8800000000000001/response`, (r) => r.transaction === "pin", 15_000);
    const texts = [check.output.join(""), p.log, ...probe.messages.filter((m) => !m.topic.endsWith("/cmd") && !m.topic.endsWith("/request")).map((m) => m.text)];
    expect(p.log).toContain("DEBUG");
    const leaks = Object.entries(SECRETS).filter(([, v]) => texts.some((t) => t.includes(v))).map(([k]) => k);
    expect(leaks).toEqual([]);
    report("secrets", `${p.log.split("\n").length} log lines at debug, ${probe.messages.length} MQTT payloads, check-config: 0 of ${Object.keys(SECRETS).length} secrets found`);
  } finally {
    await probe.close();
    await ocppSim.stop();
    await emSim.stop();
    await p.stop();
  }
});

