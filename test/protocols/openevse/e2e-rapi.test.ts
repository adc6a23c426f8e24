// RAPI over MQTT (§10.5) end to end: replies on the shared rapi/out (and the opt-in per-command
// topic), the gateway's filter, and switching or current commands going through the same guard as
// /set. `$NK` and timeouts come back as errors on /request.
import { expect, test } from "bun:test";
import { brokerForFile } from "../../support/broker-for-file.ts";
import { until } from "../../support/until.ts";
import { E2E_TIMEOUT_MS, ID, type Rig, rig } from "./rig.ts";

const mosq = brokerForFile({ timeoutMs: E2E_TIMEOUT_MS });

/** Appends an XOR checksum computed here, independently of the code under test (§3). */
function x(text: string): string {
  const sum = [...text].reduce((acc, ch) => acc ^ ch.charCodeAt(0), 0);
  return `${text}^${sum.toString(16).toUpperCase().padStart(2, "0")}`;
}

async function up(r: Rig): Promise<void> {
  await r.probe.wait(`${r.base}/${ID}/availability`, (m) => m.text === "online");
  await until(() => r.sent().includes("$FE"), "the start-up's $FE");
}

test("rapi/in → rapi/out without our sequence ids; the opt-in rapi/out/<cmd>; $NK published and an error", async () => {
  const r = await rig(mosq.url, { rapi_out_per_command: true });
  try {
    await up(r);
    let since = r.probe.mark();
    await r.compat("rapi/in/$GV", "");
    // §12.2's $GV vector byte for byte: the bridge's own sequence id is not in what it republishes.
    expect(await r.value("rapi/out", undefined, since)).toBe("$OK 8.2.3 5.2.1^2F");
    expect(await r.value("rapi/out/$GV", undefined, since)).toBe("$OK 8.2.3 5.2.1^2F");
    // The controller sent it numbered (RAPI 5.2.1 has sequence ids) and the reply was matched by it.
    expect(r.host.received.some((l) => /^\$GV :[0-9A-F]{2}\^[0-9A-F]{2}$/.test(l))).toBe(true);
    since = r.probe.mark();
    await r.compat("rapi/in/$G3", "");
    expect(await r.value("rapi/out", undefined, since)).toBe("$NK^21");
    expect(String((await r.compatError(since)).error)).toContain("$NK^21");
    const viaRequest = await r.request("rapi", { command: "$GE" });
    expect(viaRequest).toMatchObject({ status: "ok", data: { reply: x("$OK 32 0001"), fields: ["32", "0001"] } });
    const nk = await r.request("get", { code: "GH" });
    expect(nk.status).toBe("error");
    expect(String(nk.error)).toContain("$NK");
    // Without full RAPI only $G…, $F0 and $FB pass (§10.5), and nothing reaches the controller.
    const from = r.host.received.length;
    since = r.probe.mark();
    await r.compat("rapi/in/$FS", " ");
    expect(String((await r.compatError(since)).error)).toContain("not allowed");
    const refused = await r.request("rapi", { command: "$SC 10" });
    expect(String(refused.error)).toContain("not allowed");
    expect((await r.request("get", { code: "GV" })).status).toBe("ok");
    expect(r.sent(from).filter((c) => c.startsWith("$S") && c !== "$SY" || c.startsWith("$F"))).toEqual([]);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);

test("full RAPI: $SC clamped and made volatile, switching through the rate limit, $SY and $SC … M refused", async () => {
  const r = await rig(mosq.url, { full_rapi: true, max_current_a: 24 });
  try {
    await up(r);
    let since = r.probe.mark();
    let from = r.host.received.length;
    await r.compat("rapi/in/$SC", "40");
    expect(await r.value("rapi/out", undefined, since)).toBe("$OK 24^06");
    expect(r.sent(from).filter((c) => c.startsWith("$SC"))).toEqual(["$SC 24 V"]);
    const clamped = await r.request("rapi", { command: "$SC 30 V" });
    expect(clamped).toMatchObject({ status: "ok", data: { reply: "$OK 24^06", clamped_from: 30 } });
    // A stop is always honoured; starting again within switch_min_interval_s is not.
    since = r.probe.mark();
    await r.compat("rapi/in/$FS", " ");
    expect(await r.value("rapi/out", undefined, since)).toBe("$OK^20");
    await until(() => r.host.sim.state === 254, "the controller asleep");
    from = r.host.received.length;
    const again = await r.request("rapi", { command: "$FE" });
    expect(again.status).toBe("error");
    expect(String(again.error)).toContain("refused: the last on/off switch");
    const blocked: [string, string][] = [["$SY 0 0", "heartbeat"], ["$SC 32 M", "hardware maximum"], ["$FF E 0", "echo"], ["$SK", "$SK 0"], ["$ST 22 0 6 0", "delay timer"]];
    for (const [command, why] of blocked) {
      const r2 = await r.request("rapi", { command });
      expect(r2.status).toBe("error");
      expect(String(r2.error)).toContain(why);
    }
    expect((await r.request("get", { code: "GV" })).status).toBe("ok");
    expect(r.sent(from).filter((c) => !c.startsWith("$G") && c !== "$SY")).toEqual([]);
    // The target is active: a local pause is not fought, and the bridge's own claim resumes it later.
    expect(r.host.sim.state).toBe(254);
  } finally {
    await r.close();
  }
}, E2E_TIMEOUT_MS);
