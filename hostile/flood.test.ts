// Floods an attacker can send from the LAN: garbage on every transport, made-up identities and
// serials by the thousand, password guessing. Real chargers must stay served throughout.
import { expect, setDefaultTimeout, test } from "bun:test";
import dgram from "node:dgram";
import net from "node:net";
import { WebSocket } from "ws";
import { simSerial } from "../protocols/dehne/sim/charger.ts";
import { brokerForFile } from "../test/support/broker-for-file.ts";
import { freePort } from "../test/support/ports.ts";
import { MqttProbe } from "../test/support/mqtt-probe.ts";
import { until } from "../test/support/until.ts";
import { base, bridge, cli, report, rssMiB } from "./support.ts";

setDefaultTimeout(120_000);
const shared = brokerForFile();

function wsOpen(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ["ocpp1.6"], { headers });
    // Errors after the outcome is known (a reset on terminate) are expected here.
    ws.on("error", () => {});
    ws.once("open", () => resolve({ ws, status: 101 }));
    ws.once("unexpected-response", (_q, res) => {
      resolve({ ws, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once("error", () => resolve({ ws, status: 0 }));
  });
}

test("garbage on every transport; real chargers of every protocol stay online and fresh", async () => {
  const b = base("gar");
  const ports = { dehne: await freePort(), ocpp: await freePort(), em: await freePort() };
  const probe = await MqttProbe.connect(shared.url, [`${b}/#`]);
  const p = bridge(`[mqtt]\nurl = "${shared.url}"\nbase_topic = "${b}"\nclient_id = "${b}"\n[bridge]\nrepublish_s = 2\n[homeassistant]\ndiscovery = false\n[dehne]\nlisten = "127.0.0.1:${ports.dehne}"\npoll_interval_s = 1\ncompatible = false\n[ocpp]\nlisten = "127.0.0.1:${ports.ocpp}"\ncompat = false\n[evsemaster]\nbind = "127.0.0.1"\nport = ${ports.em}\ndefault_password = "123456"\ndiscover_login = true\n`);
  await until(() => p.log.includes("evse2mqtt running"), "bridge running", 20_000);
  const sims = [
    cli("simulate", "dehne", "--connect", `127.0.0.1:${ports.dehne}`, "--count", "2"),
    cli("simulate", "ocpp", "--connect", `ws://127.0.0.1:${ports.ocpp}`, "--prefix", "OK", "--count", "2", "--interval", "1"),
    cli("simulate", "evsemaster", "--target", `127.0.0.1:${ports.em}`, "--bind", "127.0.0.1", "--count", "2", "--serial", "8800000000000001"),
  ];
  const healthy = [simSerial(1), simSerial(2), "OK1", "OK2", "8800000000000001", "8800000000000002"];
  try {
    for (const id of healthy) {
      await probe.wait(`${b}/${id}/availability`, (m) => m.text === "online", 30_000).catch((e) => {
        throw new Error(`${id} never online: ${String(e).slice(0, 120)}\n${sims.map((x) => x.output.join("").slice(-400)).join("\n---\n")}`);
      });
    }
    // Dehne: 100 connections of random bytes (some with a valid-looking handshake first).
    let dehneConns = 0;
    await Promise.all(Array.from({ length: 100 }, (_, i) => new Promise<void>((resolve) => {
      const s = net.connect(ports.dehne, "127.0.0.1", () => {
        dehneConns++;
        const junk = new Uint8Array(64 + i).map(() => (Math.random() * 256) | 0);
        s.end(i % 2 ? Buffer.concat([Buffer.from(simSerial(500 + i), "hex"), Buffer.of(4), Buffer.from(junk)]) : Buffer.from(junk));
      });
      // Read (and drop) the polls: a socket nobody reads never sees the end of its stream.
      s.on("data", () => {});
      s.on("error", () => resolve());
      s.on("close", () => resolve());
    })));
    // OCPP: one socket sending 200 bad frames (it is closed after max_bad_messages), 20 such sockets.
    let ocppFrames = 0;
    for (let k = 0; k < 20; k++) {
      const { ws, status } = await wsOpen(`ws://127.0.0.1:${ports.ocpp}/JUNK${k}`);
      if (status !== 101) continue;
      for (let i = 0; i < 200 && ws.readyState === WebSocket.OPEN; i++) {
        ws.send(i % 3 === 0 ? "not json" : i % 3 === 1 ? "[2,\"x\",\"Heartbeat\"" : JSON.stringify([2, String(i), "BootNotification", { chargePointVendor: 7 }]));
        ocppFrames++;
      }
      ws.terminate();
    }
    // EVSEMaster: 2000 junk datagrams.
    const u = dgram.createSocket("udp4");
    for (let i = 0; i < 2000; i++) u.send(new Uint8Array(20 + (i % 80)).map(() => (Math.random() * 256) | 0), ports.em, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 200));
    u.close();
    // Sentinel: every healthy charger is heard from after the garbage (last_seen moves on; the
    // state is republished every 2 s), and none went offline.
    const after = probe.mark();
    const garbageEnd = Date.now();
    for (const id of healthy) {
      await probe.wait(`${b}/${id}`, (m) => {
        const seen = /"last_seen":"([^"]+)"/.exec(m.text)?.[1];
        return seen !== undefined && Date.parse(seen) > garbageEnd;
      }, 30_000, after);
    }
    const offline = healthy.filter((id) => probe.messages.some((m) => m.seq >= after && m.topic === `${b}/${id}/availability` && m.text === "offline"));
    expect(offline).toEqual([]);
    report("garbage", `dehne ${dehneConns} junk connections, ocpp ${ocppFrames} bad frames on 20 sockets, evsemaster 2000 junk datagrams; ${healthy.length - offline.length}/${healthy.length} real chargers online and fresh`);
  } finally {
    await probe.close();
    await Promise.all(sims.map((s) => s.stop()));
    await p.stop();
  }
});

test("1000 made-up OCPP identities and 3000 made-up Dehne serials: bounded, a real charger still gets in", async () => {
  const b = base("door");
  const ports = { dehne: await freePort(), ocpp: await freePort() };
  const probe = await MqttProbe.connect(shared.url, [`${b}/+/availability`]);
  const p = bridge(`[mqtt]\nurl = "${shared.url}"\nbase_topic = "${b}"\nclient_id = "${b}"\n[homeassistant]\ndiscovery = false\n[dehne]\nlisten = "127.0.0.1:${ports.dehne}"\nmax_chargers = 100\ncompatible = false\n[ocpp]\nlisten = "127.0.0.1:${ports.ocpp}"\nmax_charge_points = 100\ncompat = false\n`);
  await until(() => p.log.includes("evse2mqtt running"), "bridge running", 20_000);
  // A Dehne charger the bridge knew before the flood; it must still be let back in after it.
  const known = cli("simulate", "dehne", "--connect", `127.0.0.1:${ports.dehne}`, "--count", "1");
  try {
    await probe.wait(`${b}/${simSerial(1)}/availability`, (m) => m.text === "online", 30_000);
    await known.stop();
    const rssBefore = rssMiB(p.pid);
    let opened = 0;
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, k) => wsOpen(`ws://127.0.0.1:${ports.ocpp}/FAKE${i + k}`)));
      for (const { ws, status } of batch) {
        if (status === 101) opened++;
        ws.terminate();
      }
    }
    let serials = 0;
    for (let i = 0; i < 3000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => new Promise<void>((resolve) => {
        const s = net.connect(ports.dehne, "127.0.0.1", () => {
          serials++;
          s.write(Buffer.concat([Buffer.from(simSerial(10_000 + i + k), "hex"), Buffer.of(4)]));
          setTimeout(() => s.destroy(), 20);
        });
        s.on("data", () => {});
        s.on("error", () => resolve());
        s.on("close", () => resolve());
      })));
    }
    // After the flood: a new OCPP charge point gets in (identities that never booted do not count),
    // and the known Dehne serial comes back (new serials beyond max_chargers are refused).
    const since = probe.mark();
    const real = [cli("simulate", "ocpp", "--connect", `ws://127.0.0.1:${ports.ocpp}`, "--prefix", "REAL", "--count", "1"), cli("simulate", "dehne", "--connect", `127.0.0.1:${ports.dehne}`, "--count", "1")];
    try {
      await probe.wait(`${b}/REAL1/availability`, (m) => m.text === "online", 30_000, since);
      await probe.wait(`${b}/${simSerial(1)}/availability`, (m) => m.text === "online", 30_000, since);
    } finally {
      await Promise.all(real.map((s) => s.stop()));
    }
    const dehneRefusals = p.log.split("\n").filter((l) => l.includes("dehne charger refused") && !l.includes("(repeated)")).length;
    const rssAfter = rssMiB(p.pid);
    expect(dehneRefusals).toBeLessThanOrEqual(2);
    const devices = new Set(probe.messages.map((m) => m.topic.split("/")[1]).filter((id) => id !== undefined && /^[0-9A-F]{32}$/.test(id))).size;
    expect(devices).toBeLessThanOrEqual(100);
    report("open-door", `${opened} fake OCPP identities accepted and forgotten, a new one admitted; ${serials} fake Dehne serials → ${devices} devices (cap 100, ${dehneRefusals} refusal log line(s)), the known one admitted; RSS ${rssBefore} → ${rssAfter} MiB`);
  } finally {
    await known.stop();
    await probe.close();
    await p.stop();
  }
});

test("password guessing against OCPP Basic auth is slowed down per source address", async () => {
  const b = base("pw");
  const port = await freePort();
  const p = bridge(`[mqtt]\nurl = "${shared.url}"\nbase_topic = "${b}"\n[dehne]\nenabled = false\n[ocpp]\nlisten = "127.0.0.1:${port}"\n[ocpp.chargers.LOCKED]\npassword = "right-one"\n`);
  await until(() => p.log.includes("evse2mqtt running"), "bridge running", 20_000);
  try {
    const statuses = new Map<number, number>();
    const t0 = Date.now();
    for (let i = 0; i < 300; i++) {
      const { ws, status } = await wsOpen(`ws://127.0.0.1:${port}/LOCKED`, { Authorization: `Basic ${Buffer.from(`LOCKED:guess${i}`).toString("base64")}` });
      ws.terminate();
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const took = Date.now() - t0;
    expect(statuses.get(101) ?? 0).toBe(0);
    expect(statuses.get(401) ?? 0).toBeLessThanOrEqual(10);
    expect(statuses.get(429) ?? 0).toBeGreaterThan(250);
    const logLines = p.log.split("\n").filter((l) => l.includes("LOCKED")).length;
    report("auth-guessing", `300 guesses in ${took} ms: ${statuses.get(401) ?? 0}×401, ${statuses.get(429) ?? 0}×429, none accepted; ${logLines} log lines`);
  } finally {
    await p.stop();
  }
});
