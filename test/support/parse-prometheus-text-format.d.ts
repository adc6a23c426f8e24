// Types for the devDependency parse-prometheus-text-format (it ships none): what its README shows.
declare module "parse-prometheus-text-format" {
  export interface PromSample {
    /** As written: "1", "1.5e-7", "NaN", "+Inf". */
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PromFamily {
    name: string;
    help: string;
    /** Upper case: "COUNTER", "GAUGE", "UNTYPED", … */
    type: string;
    metrics: PromSample[];
  }
  /** Throws on a line that is not valid text format. */
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
