// The event stream behind the page, read through the handler: a snapshot first, then coalesced
// updates, removals, heartbeats; bounded clients; slow readers dropped; close ends every stream.
import { expect, test } from "bun:test";
import type { PageCharger } from "../../../lib/web/view.ts";
import { dataOf, SseReader } from "../../support/sse.ts";
import { until } from "../../support/until.ts";
import { charging, guarded, rig } from "./support.ts";

type Snapshot = { bridge: { version: string; mqtt: { connected: boolean } }; chargers: PageCharger[] };
type Update = Snapshot & { removed: string[] };

async function open(call: (p: string) => Promise<Response>): Promise<SseReader> {
  const r = await call("/events");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const body = r.body;
  if (!body) throw new Error("event stream without a body");
  return new SseReader(body);
}

test("a snapshot of every charger first, then each change within one interval", async () => {
  const { hub, app, call } = rig({}, { intervalMs: 50 });
  const a = hub.attach("A1", { protocol: "dehne", name: "Garage", capabilities: { enable: true, currentLimit: { min: 6, max: 32, step: 1 } } }, guarded());
  await charging(a, 7000);
  const sse = await open(call);
  const snap = dataOf<Snapshot>(await sse.wait((e) => e.event === "snapshot", "snapshot"));
  expect(snap.bridge.version).toBe("9.9.9");
  expect(snap.chargers).toHaveLength(1);
  const first = snap.chargers[0];
  expect(first).toMatchObject({ id: "A1", name: "Garage", protocol: "dehne", online: true, can_enable: true, limit: { min: 6, max: 32, step: 1, allow_zero: false } });
  expect(first?.state.power_w).toBe(7000);
  expect(first?.power?.values).toHaveLength(60);
  expect(first?.power?.values.at(-1)).toBe(7000);

  const t0 = Date.now();
  const mark = sse.mark();
  await a.update({ status: "suspended", power_w: 0 });
  const up = dataOf<Update>(await sse.wait((e) => e.event === "update" && dataOf<Update>(e).chargers.some((c) => c.state.status === "suspended"), "suspended arrives", 2000, mark));
  expect(Date.now() - t0).toBeLessThan(1000);
  // Updates carry only the newest minute of the power history.
  expect(up.chargers[0]?.power?.values).toHaveLength(1);

  // Removal is its own list; a new charger simply appears.
  const b = hub.attach("B2", { protocol: "ocpp" }, guarded());
  await b.update({ status: "available" });
  await sse.wait((e) => e.event === "update" && dataOf<Update>(e).chargers.some((c) => c.id === "B2"), "B2 appears");
  await hub.remove("A1");
  await sse.wait((e) => e.event === "update" && dataOf<Update>(e).removed.includes("A1"), "A1 removed");
  app.close();
  await until(() => sse.ended, "stream ended by close()");
  expect(app.feed.size).toBe(0);
});

test("a burst of updates is coalesced into a few events that end with the last state", async () => {
  const { hub, app, call } = rig({}, { intervalMs: 200 });
  const handles = Array.from({ length: 50 }, (_, i) => hub.attach(`C${i}`, { protocol: "dehne" }, guarded()));
  const sse = await open(call);
  await sse.wait((e) => e.event === "snapshot", "snapshot");
  const mark = sse.mark();
  const t0 = Date.now();
  // 50 chargers × 40 updates = 2000 hub publishes within well under a second.
  for (let round = 1; round <= 40; round++) await Promise.all(handles.map((h) => h.update({ power_w: round * 100 })));
  const burstMs = Date.now() - t0;
  const updates = () => sse.events.slice(mark).filter((e) => e.event === "update").map((e) => dataOf<Update>(e));
  const lastOf = () => {
    const last = new Map<string, number | null>();
    for (const ev of updates()) for (const c of ev.chargers) last.set(c.id, c.state.power_w);
    return last;
  };
  await until(() => {
    const last = lastOf();
    return last.size === 50 && [...last.values()].every((p) => p === 4000);
  }, "every charger's last value (4000 W) arrives", 3000);
  const events = updates();
  // Each event holds each charger at most once.
  for (const ev of events) expect(new Set(ev.chargers.map((c) => c.id)).size).toBe(ev.chargers.length);
  // At most one event per interval (plus one for the first, partial one).
  expect(events.length).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 200) + 1);
  expect(events.length).toBeLessThan(2000 / 50);
  console.log(`coalescing: 2000 hub updates in ${burstMs} ms → ${events.length} events`);
  app.close();
});

test("an idle stream gets a ping; clients are bounded; a client that leaves is forgotten", async () => {
  const { app, call } = rig({ max_clients: 2 }, { intervalMs: 20, heartbeatMs: 100 });
  const one = await open(call);
  const two = await open(call);
  await one.wait((e) => e.event === "ping", "heartbeat", 2000);
  const third = await call("/events");
  expect(third.status).toBe(503);
  expect(third.headers.get("retry-after")).toBe("10");
  expect(app.feed.size).toBe(2);
  await two.close();
  await until(() => app.feed.size === 1, "cancelled stream forgotten");
  const again = await call("/events");
  expect(again.status).toBe(200);
  await again.body?.cancel();
  app.close();
  await one.close();
});

test("a client that stops reading is skipped, then dropped; the others keep getting updates", async () => {
  const { hub, app, call } = rig({}, { intervalMs: 10, stallMs: 300 });
  const h = hub.attach("S1", { protocol: "dehne" }, guarded());
  const stuck = await call("/events");
  expect(stuck.status).toBe(200);
  const reader = await open(call);
  let i = 0;
  const timer = setInterval(() => void h.update({ power_w: ++i }), 5);
  try {
    await until(() => app.feed.size === 1, "the stuck client is dropped", 5000);
    const mark = reader.mark();
    await reader.wait((e) => e.event === "update", "the reading client still gets updates", 2000, mark);
  } finally {
    clearInterval(timer);
    app.close();
    await reader.close();
  }
});
