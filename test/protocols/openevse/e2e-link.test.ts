// The link misbehaving, end to end: the device vanishing and coming back (the intent is
// re-applied), and a controller that never answers at all. The controller misbehaving once it has
// answered (silence, a reboot, a missed heartbeat): e2e-controller.test.ts.
import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { defaultTransport, E2E_TIMEOUT_MS, ID, type Rig, rig, type Transport } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

const availability = (r: Rig, text: "online" | "offline", since: number, timeoutMs = 15_000) => r.probe.wait(`${r.base}/${ID}/availability`, (m) => m.text === text, timeoutMs, since);

for (const transport of new Set<Transport>([defaultTransport(), "tcp"])) {
  test(`the device vanishes (${transport === "pty" ? "socat killed: the USB adapter pulled" : "the TCP bridge closed"}) and returns: offline, then online with the intent re-applied`, async () => {
    const r = await rig(mosq.url, {}, {}, () => {}, transport);
    try {
      await availability(r, "online", 0);
      await until(() => r.sent().includes("$FE"), "the start-up's $FE");
      expect((await r.set({ current_limit_a: 13 })).status).toBe("ok");
      let since = r.probe.mark();
      await r.unplug();
      await availability(r, "offline", since);
      expect(await r.value("announce", (v) => v.includes('"disconnected"'), since)).toBe('{"state":"disconnected","id":"garage","name":"garage"}');
      expect(await r.value("evse_connected", (v) => v === "0", since)).toBe("0");
      expect((await r.state((s) => s.status === "offline", since)).status).toBe("offline");
      const refused = await r.set({ enabled: false });
      expect(refused.status).toBe("error");
      expect(String(refused.error)).toContain("offline");
      since = r.probe.mark();
      const from = r.host.received.length;
      await r.replug();
      await availability(r, "online", since);
      expect(await r.value("announce", (v) => v.includes('"connected"'), since)).toContain('"connected"');
      // A fresh start-up, then the claims' target in full: the 13 A asked before the unplug.
      await until(() => r.sent(from).includes("$SC 13 V"), "the target re-applied after the return");
      expect(r.sent(from)[0]).toBe("$GV");
      expect(r.host.connections).toBe(2);
    } finally {
      await r.close();
    }
  }, E2E_TIMEOUT_MS);
}

test("a controller that never answers: never online, $GV asked again and again, online once it answers", async () => {
  const r = await rig(mosq.url, { reply_timeout_ms: 200 }, {}, (host) => host.inject({ kind: "silence", times: Number.POSITIVE_INFINITY }));
  try {
    await until(() => r.sent().filter((c) => c === "$GV").length >= 2, "the bridge asking $GV again", 10_000);
    expect(await r.value("announce")).toBe('{"state":"disconnected","id":"garage","name":"garage"}');
    expect(r.probe.messages.filter((m) => m.topic === `${r.base}/${ID}/availability`)).toEqual([]);
    expect(r.sent().every((c) => c === "$GV")).toBe(true);
    const since = r.probe.mark();
    r.host.clearFaults();
    await availability(r, "online", since);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
