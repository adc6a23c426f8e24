// Counters and the Prometheus text format (version 0.0.4). Counters that only grow live here, process
// wide, so a protocol can count frames without being handed anything; values that are read when
// scraped (hub, MQTT) are turned into families by whoever serves /metrics.
import type { Codec } from "./link.ts";

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels?: Labels;
  value: number;
}

export interface MetricFamily {
  /** `evse2mqtt_…`, base units, `_total` for counters. */
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: Sample[];
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** A counter with labels; every label set seen once stays (rate() needs the zero). */
export class Counter {
  private values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return;
    const key = labelKey(labels);
    const v = this.values.get(key);
    if (v) v.value += by;
    else this.values.set(key, { labels: { ...labels }, value: by });
  }

  /** Makes the series exist (at 0) before the first event. */
  touch(labels: Labels = {}): void {
    this.inc(labels, 0);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }

  family(): MetricFamily {
    return { name: this.name, help: this.help, type: "counter", samples: [...this.values.values()].map((v) => ({ labels: v.labels, value: v.value })) };
  }
}

/** Frames per protocol, for the whole process (a protocol counts through `frameCounters` or `countedCodec`). */
export const framesIn = new Counter("evse2mqtt_frames_in_total", "Frames received from chargers and decoded, by protocol.");
export const framesOut = new Counter("evse2mqtt_frames_out_total", "Frames encoded and sent to chargers, by protocol.");
export const badFrames = new Counter("evse2mqtt_bad_frames_total", "Frames from chargers that could not be decoded or failed validation, by protocol.");

export interface FrameCounters {
  in(n?: number): void;
  out(n?: number): void;
  bad(n?: number): void;
}

/** The three frame counters of one protocol (created at 0, so a silent protocol still shows). */
export function frameCounters(protocol: string): FrameCounters {
  const labels = { protocol };
  for (const c of [framesIn, framesOut, badFrames]) c.touch(labels);
  return {
    in: (n = 1) => framesIn.inc(labels, n),
    out: (n = 1) => framesOut.inc(labels, n),
    bad: (n = 1) => badFrames.inc(labels, n),
  };
}

/**
 * A codec that counts what passes: every decoded item (as bad where `isBad` says so) and every
 * frame handed to the encoder. `framed(link, countedCodec(codec, "dehne", (f) => f.kind === "bad"))`.
 */
export function countedCodec<In, Out>(codec: Codec<In, Out>, protocol: string, isBad?: (item: In) => boolean): Codec<In, Out> {
  const count = frameCounters(protocol);
  return {
    decoder: () => {
      const inner = codec.decoder();
      // The inner step enqueues through a controller that counts on the way (made once per link).
      let tap: CountingController<In> | undefined;
      return {
        ...inner,
        transform: (chunk, c) => inner.transform(chunk, (tap ??= new CountingController(c, (item) => (isBad?.(item) ? count.bad() : count.in())))),
      };
    },
    encoder: () => {
      const inner = codec.encoder();
      return {
        ...inner,
        transform: (frame, c) => {
          count.out();
          return inner.transform(frame, c);
        },
      };
    },
  };
}

/** A controller that reports each chunk before passing it on. */
class CountingController<T> implements TransformStreamDefaultController<T> {
  constructor(private readonly c: TransformStreamDefaultController<T>, private readonly seen: (chunk: T) => void) {}
  get desiredSize(): number | null {
    return this.c.desiredSize;
  }
  enqueue(chunk: T): void {
    this.seen(chunk);
    this.c.enqueue(chunk);
  }
  error(reason?: unknown): void {
    this.c.error(reason);
  }
  terminate(): void {
    this.c.terminate();
  }
}

const HELP_ESCAPE = /[\\\n]/g;
const LABEL_ESCAPE = /[\\\n"]/g;
const escapeChar = (c: string) => (c === "\n" ? "\\n" : `\\${c}`);

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(LABEL_ESCAPE, escapeChar)}"`).join(",")}}`;
}

/** The text exposition format: HELP and TYPE once per family, then its samples; ends with a newline. */
export function renderMetrics(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replace(HELP_ESCAPE, escapeChar)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return out.join("\n") + "\n";
}
