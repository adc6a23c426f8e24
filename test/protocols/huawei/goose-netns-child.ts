// Run by goose-netns*.test.ts inside a private network namespace (as root), under Bun or Deno:
// a broker, the bridge with goose = true on one end of a veth pair, the simulated PSU answering
// GOOSE on the other end. Drives a whole charge over MQTT and prints one JSON line of findings for
// the parent test to check. Not a test file itself: it needs the namespace the parent made.
import { errorMessage } from "../../../lib/errors.ts";
import { chooseBroker, startBroker } from "../../support/broker.ts";
import { connectors, rig, startSim, unit } from "./rig.ts";

const [dispenserIf = "", psuIf = ""] = process.argv.slice(2);
type Json = Record<string, unknown>;

async function main(): Promise<Json> {
  // Mosquitto or aedes by the same rule as every test (choice passed in: the run's notice is said once, by the parent).
  const b = await startBroker(chooseBroker(process.env));
  // Cycles longer than a second: every PSU MAC write re-sends with a new stNum (spec §6.2), and the
  // 1 s repeat should be seen too.
  const sim = await startSim({ gooseInterface: psuIf, cycleMs: 1200 });
  const goose = sim.gooseResponder;
  if (!goose) throw new Error("the simulated PSU opened no GOOSE socket");
  const r = await rig(b.url, [unit("g", sim, { goose: true, interface: dispenserIf, connectors: connectors(3) })]);
  const out: Json = {};
  try {
    const rawOf = (v: Json): Json => (typeof v.raw === "object" && v.raw !== null ? { ...v.raw } : {});
    const ready = await r.state("g_3", (v) => rawOf(v).goose === "active" && rawOf(v).limits !== null && rawOf(v).connector_state === "CarDisconnected" && rawOf(v).key_fetch === false);
    out.ready = { goose: rawOf(ready).goose, errors: ready.errors };
    // Datasets the PSU got so far, repeats folded.
    out.keyFetchFrames = goose.seen.map((s) => s.message.dataset).filter((d, i, all) => d !== all[i - 1]);
    // The PSU hands out a key again only after it saw standby in a report (spec §11).
    const t = Date.now();
    while (!(sim.latest?.keysSent === 1 && sim.latest.workingStatus.get(1) === 0) && Date.now() - t < 5000) await new Promise((res) => setTimeout(res, 20));
    const mark = goose.seen.length;
    out.plug = await r.request("g_3", "car", { plugged: true });
    const running = await r.state("g_3", (v) => rawOf(v).connector_state === "Running", 15_000);
    out.running = { status: running.status, allocation_failed: (running.errors as string[]).some((e) => e.includes("allocation_failed")) };
    out.tooMuchCurrent = await r.request("g_3", "power_request", { phase: "charging", voltage_v: 400, current_a: 90 });
    out.tooMuchPower = await r.request("g_3", "power_request", { phase: "charging", voltage_v: 400, current_a: 80 });
    out.cableCheck = await r.request("g_3", "power_request", { phase: "cable_check", voltage_v: 500, current_a: 2 });
    out.charging = await r.request("g_3", "power_request", { phase: "charging", voltage_v: 400, current_a: 50 });
    const charging = await r.state("g_3", (v) => v.status === "charging");
    out.chargingState = { enabled: charging.enabled, current_limit_a: charging.current_limit_a };
    // Let the retransmission run: repeats after 2, 2, 4, 8 ms, then every second.
    const t0 = Date.now();
    while (!goose.seen.some((s) => s.message.dataset === "PowerRequest" && s.message.requirement === 5 && s.sqNum >= 5) && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 50));
    out.stop = await r.set("g_3", { enabled: false });
    const t1 = Date.now();
    while (goose.seen.at(-1)?.message.dataset !== "ShutdownRequest" && Date.now() - t1 < 3000) await new Promise((res) => setTimeout(res, 20));
    out.unplug = await r.request("g_3", "car", { plugged: false });
    // What the PSU received, in order, repeats of the same content folded into one entry.
    const transitions: Json[] = [];
    let maxSqNum = 0;
    for (const f of goose.seen.slice(mark)) {
      const m = f.message;
      const entry = { dataset: m.dataset, connector: m.connector, requirement: m.dataset === "PowerRequest" ? m.requirement : null, voltage: m.dataset === "PowerRequest" ? m.voltage : null, current: m.dataset === "PowerRequest" ? m.current : null };
      if (JSON.stringify(transitions.at(-1)) !== JSON.stringify(entry)) transitions.push(entry);
      if (m.dataset === "PowerRequest" && m.requirement === 5) maxSqNum = Math.max(maxSqNum, f.sqNum);
    }
    out.transitions = transitions;
    out.maxChargingSqNum = maxSqNum;
    // Offsets of sqNum 0…5 of the first charging frame that got that far: 0, ~2, ~4, ~8, ~16, ~1016 ms.
    const chargingFrames = goose.seen.filter((f) => f.message.dataset === "PowerRequest" && f.message.requirement === 5);
    const full = chargingFrames.find((f) => f.sqNum === 5);
    const series = chargingFrames.filter((f) => f.stNum === full?.stNum).sort((a, b) => a.sqNum - b.sqNum);
    out.repeatOffsets = series.map((f) => f.at - (series[0]?.at ?? 0));
    out.allVerified = goose.seen.every((f) => f.verified);
    out.frameCount = goose.seen.length - mark;
    // The refused requests (90 A; 400 V × 80 A) must never have reached the wire.
    const power = goose.seen.flatMap((f) => (f.message.dataset === "PowerRequest" ? [f.message] : []));
    out.maxSentCurrent = Math.max(0, ...power.map((p) => p.current));
    out.maxSentPowerW = Math.max(0, ...power.map((p) => p.voltage * p.current));
    out.replies = goose.replies;
    out.dispenserMac = Array.from(await sim.latest?.read(0x114d, 3) ?? []);
    const link = r.huawei.link("g");
    out.bridgeCounters = { sent: link?.goose?.sent ?? 0, replies: link?.goose?.replies ?? 0, rejected: link?.goose?.rejected ?? 0 };
  } finally {
    await r.close();
    await sim.dispose();
    await b.dispose();
  }
  return out;
}

main().then(
  (out) => {
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(`RESULT ${JSON.stringify({ error: errorMessage(err) })}\n`);
    process.exit(1);
  },
);
