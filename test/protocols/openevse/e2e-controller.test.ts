// The controller misbehaving end to end once it has answered: it stops answering, it reboots (the
// intent is re-applied), it misses a heartbeat (the current is restored to the target, not to the
// maximum). The link itself vanishing: e2e-link.test.ts.
import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { E2E_TIMEOUT_MS, ID, type Rig, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const availability = (r: Rig, text: "online" | "offline", since: number, timeoutMs = 15_000) => r.probe.wait(`${r.base}/${ID}/availability`, (m) => m.text === text, timeoutMs, since);

test("a controller that stops answering goes offline and comes back online when it answers again", async () => {
  const r = await rig(mosq.url, { offline_after_misses: 2, reply_timeout_ms: 600 });
  try {
    await availability(r, "online", 0);
    let since = r.probe.mark();
    r.host.inject({ kind: "silence", times: Number.POSITIVE_INFINITY });
    await availability(r, "offline", since);
    const busy = await r.request("status");
    expect(busy.status).toBe("error");
    since = r.probe.mark();
    r.host.clearFaults();
    await availability(r, "online", since);
    expect((await r.request("status")).status).toBe("ok");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("restart {device: evse}: $FR, the controller reboots, a disabled charger stays disabled", async () => {
  const r = await rig(mosq.url);
  try {
    await availability(r, "online", 0);
    await until(() => r.sent().includes("$FE"), "the start-up's $FE");
    expect((await r.set({ enabled: false })).status).toBe("ok");
    await until(() => r.host.sim.state === 254, "the controller asleep");
    const from = r.host.received.length;
    const since = r.probe.mark();
    await r.compat("restart", '{"device":"evse"}');
    await until(() => r.sent(from).includes("$FR"), "$FR sent");
    // The reboot passes through state 0 with the relay open; the bridge puts it back to sleep.
    await until(() => r.sent(from).includes("$GV") && r.sent(from).slice(r.sent(from).indexOf("$GV")).includes("$FS"), "start-up and $FS after the reboot", 15_000);
    await until(() => r.host.sim.state === 254, "the controller asleep again after the reboot");
    expect(r.sent(from).slice(r.sent(from).indexOf("$GV")).includes("$FE")).toBe(false);
    expect((await r.state((s) => s.status === "disabled", since)).enabled).toBe(false);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("missed heartbeat: the controller falls back to 6 A; acknowledged, the bridge restores its own target", async () => {
  const r = await rig(mosq.url, { heartbeat_interval_s: 1 });
  try {
    await availability(r, "online", 0);
    await until(() => r.sent().includes("$SY 1 6"), "heartbeat armed as configured");
    expect((await r.set({ current_limit_a: 16 })).status).toBe("ok");
    let since = r.probe.mark();
    await r.value("pilot", (v) => v === "16", 0);
    // Pulses get lost on the way: the controller's supervision lowers the pilot to 6 A.
    r.host.inject({ kind: "silence", code: "SY", times: Number.POSITIVE_INFINITY });
    await r.value("pilot", (v) => v === "6", since);
    since = r.probe.mark();
    const from = r.host.received.length;
    r.host.clearFaults();
    // The next pulse is refused ($NK, trigger 2): `$SY 165` restores the controller's maximum,
    // which the bridge lowers again to its target.
    await r.value("pilot", (v) => v === "16", since);
    expect(r.sent(from)).toContain("$SY 165");
    expect(r.sent(from).slice(r.sent(from).indexOf("$SY 165"))).toContain("$SC 16 V");
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
