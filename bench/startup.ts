// Start-up time (spawn → `<base>/bridge/state` online on MQTT) and idle RSS, with every benched
// protocol enabled on a free loopback port and no charger connected.
import type { BenchSection, Harness, Metric } from "./harness.ts";
import { median, round } from "./stats.ts";

export async function startup(h: Harness, sections: readonly BenchSection[], runs = 3): Promise<Metric[]> {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const protocols: Record<string, string> = {};
    for (const s of sections) protocols[s.protocol] = s.idleConfig(await h.freePort());
    const bridge = await h.startBridge(() => ({ protocols }));
    times.push(bridge.startupMs);
    const r = await h.settledRss(bridge, 3, 500);
    if (r !== undefined) rss.push(r);
    await bridge.stop();
  }
  const enabled = sections.map((s) => s.protocol).join("+") || "no protocol";
  return [
    { key: "startup_ms", label: `start-up to MQTT online (median of ${runs})`, value: round(median(times), 0), unit: "ms", runs: times.map((t) => round(t, 0) ?? 0) },
    { key: "idle_rss_mib", label: `idle RSS (${enabled}, no chargers)`, value: round(median(rss)), unit: "MiB", runs: rss.map((r) => round(r) ?? 0) },
  ];
}
