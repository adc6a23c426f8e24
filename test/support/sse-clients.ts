// A separate process holding N event streams open for a while (so their reading costs the bridge
// nothing), printing one JSON line: events and bytes per client, refusals. Run with bun:
//   bun test/support/sse-clients.ts <url> <count> <seconds> [authorization header]
import { SseReader } from "./sse.ts";

const [url = "", countText = "1", secondsText = "5", auth] = process.argv.slice(2);
const count = Number(countText);
const seconds = Number(secondsText);
const headers: Record<string, string> = auth ? { Authorization: auth } : {};
const readers: SseReader[] = [];
let refused = 0;
for (let i = 0; i < count; i++) {
  const r = await fetch(url, { headers });
  if (r.status !== 200 || !r.body) {
    refused++;
    await r.body?.cancel();
    continue;
  }
  readers.push(new SseReader(r.body));
}
// Measured once every stream has its snapshot, so connecting does not count.
const deadline = Date.now() + 30_000;
while (!readers.every((r) => r.events.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const start = Date.now();
const marks = readers.map((r) => ({ events: r.events.length, bytes: r.bytes }));
await new Promise((r) => setTimeout(r, seconds * 1000));
const elapsed = (Date.now() - start) / 1000;
const perClient = readers.map((r, i) => ({
  events: r.events.length - (marks[i]?.events ?? 0),
  bytes: r.bytes - (marks[i]?.bytes ?? 0),
  ended: r.ended,
}));
process.stdout.write(JSON.stringify({ elapsed, refused, clients: readers.length, perClient }) + "\n");
for (const r of readers) await r.close();
process.exit(0);
