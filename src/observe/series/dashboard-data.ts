// The JSON of GET /dashboard/data: the sampler's ring as columns (oldest first, one value per
// sample, null = no value) plus the state read at request time (endpoint health, limiter tables).
// Routes, upstreams and limiters are named, never indexed: a reload may reorder them.

import type { SeriesValues } from "./series-ring.ts";

export interface DashboardData {
  /** Sampling period, ms. */
  readonly intervalMs: number;
  /** Samples the ring holds at most. */
  readonly capacity: number;
  /** Sample times, Unix ms; every series below has one value per entry. */
  readonly t: number[];
  /** Unix ms when this document was built. */
  readonly now: number;
  /** Samples that failed (a bug in the sampler); the timer keeps going. */
  readonly sampleFailures: number;
  readonly inFlight: SeriesValues;
  readonly routes: RouteSeries[];
  /** Requests by status class over all routes. */
  readonly statusClasses: StatusClassRow[];
  /** Problem responses Keel answered with, by code, over all routes; only codes seen. */
  readonly codes: CodeRow[];
  readonly limits: LimitsData;
  readonly upstreams: UpstreamRow[];
  readonly process: ProcessSeries;
}

export interface RouteSeries {
  readonly name: string;
  /** False for a route a reload removed (its samples stay until they age out). */
  readonly inForce: boolean;
  /** Requests finished per second, all classes. */
  readonly rps: SeriesValues;
  /** Requests per second by status class ("2xx", …); only classes seen in the window. */
  readonly status: Record<string, SeriesValues>;
  /** Percentiles of the interval's request durations, ms; null in an interval without requests. */
  readonly p50: SeriesValues;
  readonly p99: SeriesValues;
  readonly p999: SeriesValues;
}

export interface StatusClassRow {
  readonly statusClass: string;
  readonly perSecond: SeriesValues;
  /** Requests in the samples held. */
  readonly window: number;
  readonly sinceStart: number;
}

export interface CodeRow {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  /** Responses with this code per sample interval. */
  readonly perInterval: SeriesValues;
  readonly window: number;
  readonly sinceStart: number;
}

export interface LimitsData {
  /** Per second: 429s from rate limits, concurrency refusals (full or queue timeout), load shedding. */
  readonly rateLimited: SeriesValues;
  readonly concurrencyRejected: SeriesValues;
  readonly shed: SeriesValues;
  /** Gauges at each sample, summed over every concurrency limiter. */
  readonly queued: SeriesValues;
  readonly limiterInFlight: SeriesValues;
  readonly ratePolicies: RatePolicyRow[];
  readonly concurrency: ConcurrencyRow[];
  /** The load-shedding detector says the event loop lags (new requests are shed). */
  readonly shedding: boolean;
}

export interface RatePolicyRow {
  readonly route: string;
  readonly policy: string;
  readonly allowed: number;
  readonly limited: number;
}

export interface ConcurrencyRow {
  readonly scope: "route" | "upstream";
  readonly name: string;
  readonly limit: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly admitted: number;
  readonly rejected: number;
}

export interface UpstreamRow {
  readonly name: string;
  readonly healthy: number;
  readonly ejections: number;
  /** "closed" | "half-open" | "open"; null without a breaker. */
  readonly breaker: string | null;
  readonly endpoints: EndpointRow[];
}

export interface EndpointRow {
  readonly url: string;
  /** "healthy" | "unhealthy" | "ejected". */
  readonly state: string;
  /** Attempt latency to the response head since start, ms; null before the first answer. */
  readonly p99Ms: number | null;
}

export interface ProcessSeries {
  readonly lagP99Ms: SeriesValues;
  readonly lagMaxMs: SeriesValues;
  readonly heapUsedMB: SeriesValues;
  readonly rssMB: SeriesValues;
  readonly cpuPercent: SeriesValues;
  /** Why there is no GC chart. */
  readonly gc: string;
}
