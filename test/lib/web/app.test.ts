// The status page's handler called directly with Requests: every route, credentials, the control
// path and its refusals. The event stream has its own file (feed.test.ts).
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { basic, charging, guarded, rig } from "./support.ts";

const json = async (r: Response) => JSON.parse(await r.text());

test("the page is one self-contained document whose CSP admits exactly its own script and style", async () => {
  const { call } = rig();
  const r = await call("/");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = await r.text();
  const csp = r.headers.get("content-security-policy") ?? "";
  const hash = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
  const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? "";
  expect(script.length).toBeGreaterThan(1000);
  expect(csp).toContain(`script-src ${hash(script)}`);
  expect(csp).toContain(`style-src ${hash(style)}`);
  expect(csp).toContain("default-src 'none'");
  // Nothing is fetched from elsewhere: no src/href to another origin, no stylesheet or script file.
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  expect(html).not.toMatch(/<script src|<link rel="stylesheet"/);
  expect(html).toContain('name="viewport"');
});

test("the API gives each charger's normalized state; unknown ids, paths and methods are refused", async () => {
  const { hub, call } = rig();
  const a = hub.attach("CP-A", { protocol: "ocpp", name: "Garage" }, guarded());
  await charging(a, 3680);
  const b = hub.attach("SER_B", { protocol: "dehne" }, guarded());
  await b.update({ status: "available" });
  const all = await call("/api/chargers");
  expect(all.status).toBe(200);
  expect(all.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(await json(all)).toEqual({ "CP-A": hub.state("CP-A"), SER_B: hub.state("SER_B") });
  expect(await json(await call("/api/chargers/CP-A"))).toEqual(JSON.parse(JSON.stringify(hub.state("CP-A"))));
  const missing = await call("/api/chargers/nope");
  expect(missing.status).toBe(404);
  expect(await json(missing)).toEqual({ error: 'unknown charger "nope"' });
  expect((await call("/api/chargers/%E0%A4%A")).status).toBe(404);
  expect((await call("/nothing")).status).toBe(404);
  const post = await call("/api/chargers", { method: "POST", body: "{}" });
  expect(post.status).toBe(405);
  expect(post.headers.get("allow")).toBe("GET, HEAD");
  expect((await call("/api/chargers/CP-A/set")).status).toBe(405);
  const bridge = await json(await call("/api/bridge"));
  expect(bridge).toMatchObject({ version: "9.9.9", runtime: "test", protocols: ["dehne", "ocpp"], control: false, chargers: 2, mqtt: { connected: false, queued: expect.any(Number), dropped: 0, reconnects: 0 } });
  expect(bridge.uptime_s).toBeGreaterThanOrEqual(65);
});

test("/healthz: down MQTT is healthy only within the grace time and while the offline queue has room", async () => {
  const lenient = rig({ health_grace_s: 30 }, {}, 5);
  const r = await lenient.call("/healthz");
  expect(r.status).toBe(200);
  expect(await json(r)).toMatchObject({ healthy: true, status: "degraded", mqtt: { connected: false, queue_limit: 5, dropped: 0 } });
  for (let i = 0; i < 6; i++) lenient.mqtt.publish(`t/${i}`, "x");
  const full = await lenient.call("/healthz");
  expect(full.status).toBe(503);
  expect(await json(full)).toMatchObject({ healthy: false, status: "down", mqtt: { queued: 5, dropped: 1 } });
  const strict = rig({ health_grace_s: 0 });
  expect((await strict.call("/healthz")).status).toBe(503);
  expect((await strict.call("/healthz", { method: "POST" })).status).toBe(405);
});

test("credentials: every route but /healthz needs them; wrong ones are refused and never logged", async () => {
  const { call, logLines } = rig({ username: "admin", password: "Very-Secret-9" });
  for (const path of ["/", "/events", "/metrics", "/api/chargers", "/api/bridge"]) {
    const r = await call(path);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe('Basic realm="evse2mqtt", charset="UTF-8"');
  }
  expect((await call("/api/chargers", { headers: basic("admin", "Very-Secret-8") })).status).toBe(401);
  expect((await call("/api/chargers", { headers: basic("root", "Very-Secret-9") })).status).toBe(401);
  expect((await call("/api/chargers", { headers: basic("admin", "Very-Secret-9") })).status).toBe(200);
  expect((await call("/metrics", { headers: basic("admin", "Very-Secret-9") })).status).toBe(200);
  expect([200, 503]).toContain((await call("/healthz")).status);
  expect(logLines.some((l) => l.includes("wrong user name or password"))).toBe(true);
  expect(logLines.join("\n")).not.toContain("Very-Secret");
});

test("control is off by default: the page offers none and /set is refused before reaching the charger", async () => {
  const { hub, call } = rig({ username: "u", password: "p" });
  const d = guarded();
  hub.attach("C1", { protocol: "dehne", capabilities: { enable: true } }, d);
  const r = await call("/api/chargers/C1/set", { method: "POST", headers: { ...basic("u", "p"), "Content-Type": "application/json" }, body: '{"enabled":false}' });
  expect(r.status).toBe(403);
  expect(d.reached).toBe(0);
  expect((await json(await call("/api/bridge", { headers: basic("u", "p") }))).control).toBe(false);
});

test("control: /set goes through the hub's parser, queue and the charger's guard, and replies like /response", async () => {
  const { hub, call } = rig({ username: "u", password: "p", control: true });
  const d = guarded();
  const h = hub.attach("C1", { protocol: "dehne", capabilities: { enable: true, currentLimit: { min: 6, max: 16, step: 1 } } }, d);
  await h.update({ status: "available" });
  const auth = basic("u", "p");
  const set = (body: string, headers: Record<string, string> = {}, id = "C1") =>
    call(`/api/chargers/${id}/set`, { method: "POST", headers: { ...auth, "Content-Type": "application/json", ...headers }, body });

  // Refused at the door: not JSON by content type, from another site, too large. The charger sees none.
  expect((await call("/api/chargers/C1/set", { method: "POST", headers: { ...auth, "Content-Type": "text/plain" }, body: '{"enabled":true}' })).status).toBe(415);
  expect((await set('{"enabled":true}', { Origin: "http://evil.example" })).status).toBe(403);
  expect((await set(JSON.stringify({ enabled: true, pad: "x".repeat(5000) }))).status).toBe(413);
  expect(d.reached).toBe(0);

  // The /set schema: bad JSON (not echoed), unknown keys, nothing to do.
  const bad = await set('{"enabled": tru');
  expect(bad.status).toBe(422);
  expect(await json(bad)).toEqual({ status: "error", error: "payload is not valid JSON (15 bytes)" });
  expect((await json(await set('{"enabld":true}'))).error).toMatch(/^invalid \/set command: .*enabld/);
  expect((await json(await set("{}"))).error).toMatch(/at least one of enabled/);
  expect(d.reached).toBe(0);

  // Same-origin requests pass; the guard clamps, refuses below the minimum and rate-limits switching.
  const clamped = await set('{"current_limit_a":40}', { Origin: "http://127.0.0.1:8080" });
  expect(clamped.status).toBe(200);
  expect(await json(clamped)).toEqual({ status: "ok", data: { current_limit_a: 16, clamped_from: 40 } });
  expect(await json(await set('{"current_limit_a":3}'))).toEqual({ status: "error", error: "current_limit_a 3 A is below the minimum 6 A; use enabled:false to stop charging" });
  expect(await json(await set('{"enabled":false}'))).toEqual({ status: "ok", data: { enabled: false } });
  const again = await json(await set('{"enabled":true}'));
  expect(again.error).toMatch(/^enabled refused: the last on\/off switch was 0 s ago; next allowed in 30 s/);
  expect(d.enabled).toBe(false);

  // Unknown and offline chargers.
  expect((await json(await set('{"enabled":true}', {}, "nope"))).error).toBe('unknown charger "nope"');
  h.detach();
  expect((await json(await set('{"enabled":true}'))).error).toBe('charger "C1" is offline');

  const metrics = await (await call("/metrics", { headers: auth })).text();
  expect(metrics).toContain('evse2mqtt_commands_total{source="web",result="ok"} 2\n');
  expect(metrics).toContain('evse2mqtt_commands_total{source="web",result="failed"} 2\n');
  expect(metrics).toContain('evse2mqtt_commands_total{source="web",result="rejected"} 5\n');
  expect(metrics).toContain('evse2mqtt_commands_total{source="mqtt",result="ok"} 0\n');
});
