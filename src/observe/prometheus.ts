// Prometheus text exposition format 0.0.4 for GatewayMetrics. A scrape reads the counters and walks
// each route's HDR counts once (O(routes × counts slots), early exit past the last sample); it
// keeps no per-request state and resets nothing, so scraping cannot change what it measures.

import { ERRORS } from "../errors.ts";
import { DURATION_BOUNDS_LE, DURATION_BOUNDS_MICROS } from "./duration-buckets.ts";
import { ERROR_CODES, STATUS_CLASSES, type GatewayMetrics } from "./gateway-metrics.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Percent for HDR, and the `quantile` label value. */
const QUANTILES: readonly (readonly [number, string])[] = [
  [50, "0.5"],
  [99, "0.99"],
  [99.9, "0.999"],
];
const QUANTILE_PERCENTS = QUANTILES.map(([percent]) => percent);

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(n: number): string {
  if (Number.isFinite(n)) return String(n);
  if (Number.isNaN(n)) return "NaN";
  return n > 0 ? "+Inf" : "-Inf";
}

function header(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`).join(",")}}`;
}

/** Build once per GatewayMetrics (label text is escaped here, not per scrape); render() per scrape. */
export class PrometheusExposition {
  private routeLabels: readonly string[] = [];
  /** Per route, per bound: `keel_request_duration_seconds_bucket{route="…",le="…"} ` (built once per name list). */
  private bucketPrefixes: readonly (readonly string[])[] = [];
  private upstreamLabels: readonly string[] = [];
  /** The name lists the labels above were built from (a reload may add names). */
  private labelledRoutes: readonly string[] | null = null;
  private labelledUpstreams: readonly string[] | null = null;
  private readonly cumulative = new Float64Array(DURATION_BOUNDS_MICROS.length);
  private readonly quantileMicros = new Float64Array(QUANTILES.length);

  constructor(private readonly metrics: GatewayMetrics) {
    this.buildLabels();
  }

  private buildLabels(): void {
    const m = this.metrics;
    if (this.labelledRoutes !== m.routeNames) {
      this.routeLabels = m.routeNames.map((name) => `route="${escapeLabelValue(name)}"`);
      this.bucketPrefixes = this.routeLabels.map((route) =>
        DURATION_BOUNDS_LE.map((le) => `keel_request_duration_seconds_bucket{${route},le="${le}"} `),
      );
      this.labelledRoutes = m.routeNames;
    }
    if (this.labelledUpstreams !== m.upstreamNames) {
      this.upstreamLabels = m.upstreamNames.map((name) => `upstream="${escapeLabelValue(name)}"`);
      this.labelledUpstreams = m.upstreamNames;
    }
  }

  render(): string {
    const m = this.metrics;
    m.runScrapeHooks();
    this.buildLabels();
    const out: string[] = [];

    header(out, "keel_requests_total", "counter", "Requests finished, by route and status class. route=\"(none)\": no route matched.");
    for (let r = 0; r < this.routeLabels.length; r++) {
      for (let c = 0; c < STATUS_CLASSES.length; c++) {
        const n = m.requests(r, c);
        if (c === 0 && n === 0) continue; // "other" (status outside 100..599) only once seen
        out.push(`keel_requests_total{${this.routeLabels[r]},status_class="${STATUS_CLASSES[c]}"} ${n}\n`);
      }
    }

    header(out, "keel_request_duration_seconds", "histogram", "Request duration from accept to response, cumulative since start (HDR histogram, 2 significant digits).");
    const quantileLines: string[] = [];
    for (let r = 0; r < this.routeLabels.length; r++) {
      const h = m.histograms[r]!;
      h.snapshot(DURATION_BOUNDS_MICROS, this.cumulative, QUANTILE_PERCENTS, this.quantileMicros);
      const route = this.routeLabels[r]!;
      const prefixes = this.bucketPrefixes[r]!;
      for (let b = 0; b < prefixes.length; b++) out.push(prefixes[b] + this.cumulative[b] + "\n");
      out.push(
        `keel_request_duration_seconds_bucket{${route},le="+Inf"} ${h.count}\n` +
          `keel_request_duration_seconds_sum{${route}} ${formatValue(h.sumMicros / 1e6)}\n` +
          `keel_request_duration_seconds_count{${route}} ${h.count}\n`,
      );
      for (let q = 0; q < QUANTILES.length; q++) {
        const v = h.count === 0 ? NaN : this.quantileMicros[q]! / 1e6;
        quantileLines.push(`keel_request_duration_quantile_seconds{${route},quantile="${QUANTILES[q]![1]}"} ${formatValue(v)}\n`);
      }
    }

    header(out, "keel_request_duration_quantile_seconds", "gauge", "Request duration quantiles since start, from the HDR histogram (NaN before the first request).");
    for (const line of quantileLines) out.push(line);

    header(out, "keel_requests_in_flight", "gauge", "Requests accepted and not yet finished.");
    out.push(`keel_requests_in_flight ${m.inFlight}\n`);

    header(out, "keel_upstream_errors_total", "counter", "Failed upstream exchanges, by upstream and error code (see docs/errors.md).");
    for (let u = 0; u < this.upstreamLabels.length; u++) {
      const known = u < this.upstreamLabels.length - 1;
      for (const code of ERROR_CODES) {
        const n = m.upstreamErrors(u, code);
        // Upstream-sourced codes are always present for real upstreams (so rate() sees the zero); others once seen.
        if (n === 0 && !(known && ERRORS[code].source === "upstream")) continue;
        out.push(`keel_upstream_errors_total{${this.upstreamLabels[u]},code="${code}"} ${n}\n`);
      }
    }

    header(out, "keel_problems_total", "counter", "Problem responses Keel answered with, by route and error code (see docs/errors.md); codes appear once seen.");
    for (let r = 0; r < this.routeLabels.length; r++) {
      for (const code of ERROR_CODES) {
        const n = m.problems(r, code);
        if (n !== 0) out.push(`keel_problems_total{${this.routeLabels[r]},code="${code}"} ${n}\n`);
      }
    }

    for (const family of m.pulledFamilies) {
      header(out, family.name, family.type, family.help);
      for (const sample of family.samples) {
        let v: number;
        try {
          v = sample.read();
        } catch {
          v = NaN; // a broken reader must not break the whole scrape
        }
        out.push(`${family.name}${labelText(sample.labels)} ${formatValue(v)}\n`);
      }
    }

    return out.join("");
  }
}
