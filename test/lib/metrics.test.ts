import { expect, test } from "bun:test";
import type { Codec } from "../../lib/link.ts";
import { Counter, countedCodec, framesIn, framesOut, badFrames, frameCounters, renderMetrics } from "../../lib/metrics.ts";

test("counters keep one series per label set, ignore negative steps and render HELP and TYPE once", () => {
  const c = new Counter("t_requests_total", "Requests.");
  c.touch({ code: "200" });
  c.inc({ code: "200" });
  c.inc({ code: "200" }, 2);
  c.inc({ code: "500" });
  c.inc({ code: "500" }, -5);
  c.inc({ code: "500" }, NaN);
  expect(c.get({ code: "200" })).toBe(3);
  expect(c.get({ code: "500" })).toBe(1);
  expect(c.get({ code: "404" })).toBe(0);
  expect(renderMetrics([c.family()])).toBe('# HELP t_requests_total Requests.\n# TYPE t_requests_total counter\nt_requests_total{code="200"} 3\nt_requests_total{code="500"} 1\n');
});

test("label values and help text are escaped; special values use the format's spelling", () => {
  const text = renderMetrics([
    { name: "t_g", help: "a \\ b\nc", type: "gauge", samples: [{ labels: { id: 'x"y\\z\nw' }, value: NaN }, { value: Infinity }, { value: -Infinity }, { value: 1.5e-7 }] },
  ]);
  expect(text).toBe('# HELP t_g a \\\\ b\\nc\n# TYPE t_g gauge\nt_g{id="x\\"y\\\\z\\nw"} NaN\nt_g +Inf\nt_g -Inf\nt_g 1.5e-7\n');
});

/** Lines in, lines out; "!" marks a bad frame, as codecs report them: an item, not an exception. */
const lineCodec: Codec<{ ok: boolean; text: string }, string> = {
  decoder: () => {
    let buf = "";
    const dec = new TextDecoder();
    return {
      transform(chunk, c) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          c.enqueue({ ok: !line.startsWith("!"), text: line });
        }
      },
    };
  },
  encoder: () => ({ transform: (s, c) => c.enqueue(new TextEncoder().encode(s + "\n")) }),
};

async function collect<T>(r: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of r) out.push(x);
  return out;
}

test("countedCodec counts decoded, bad and encoded frames per protocol and passes everything through unchanged", async () => {
  const label = { protocol: "linetest" };
  frameCounters("linetest");
  expect([framesIn.get(label), framesOut.get(label), badFrames.get(label)]).toEqual([0, 0, 0]);
  const codec = countedCodec(lineCodec, "linetest", (f) => !f.ok);
  const dec = new TransformStream(codec.decoder());
  const bytes = new TextEncoder().encode("a\n!b\nc\nd");
  const decoded = collect(new Blob([bytes]).stream().pipeThrough(dec));
  expect((await decoded).map((f) => f.text)).toEqual(["a", "!b", "c"]);
  expect(framesIn.get(label)).toBe(2);
  expect(badFrames.get(label)).toBe(1);
  const enc = new TransformStream(codec.encoder());
  const out = collect(enc.readable);
  const w = enc.writable.getWriter();
  await w.write("x");
  await w.write("y");
  await w.close();
  expect(new TextDecoder().decode(new Uint8Array((await out).flatMap((b) => [...b])))).toBe("x\ny\n");
  expect(framesOut.get(label)).toBe(2);
  expect(renderMetrics([framesIn.family()])).toContain('evse2mqtt_frames_in_total{protocol="linetest"} 2\n');
});
