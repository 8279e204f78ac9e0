// The worst-case memory of a plan's stateful tables: every table Keel keeps has a capacity set by
// the config (rate-limit keys, queues, pooled connections, histograms, ...), so its memory at
// capacity is capacity × a measured cost per entry. `keel check` prints the estimate, and a
// top-level `memoryBudget` turns "over budget" into a config error (semantic.ts).
//
// Not counted: requests in flight themselves (bodies stream, see docs/limits.md), Bun's own
// runtime (~70 MB RSS at start), and connections beyond the idle pool while requests are in
// flight, unless breaker.maxConnections bounds them (then that bound is counted instead).
import type { Plan } from "./plan.ts";

// Bytes per entry, MEASURED by `bun bench/memory/table-costs.ts` (Bun 1.4.5, linux x64): each kind
// filled in a fresh process, growth after a full GC divided by the entries, the larger of JS heap
// and RSS growth, the largest of three runs. Key tables measured full after 10× their capacity of
// distinct keys went through (the index Maps' deleted entries included). Rerun after changing a
// table's layout.
/** A key held by a local rate limit (slot arrays, index Map entry, the key string). */
export const RATE_KEY_BYTES = 366;
/** A key of a shared (Redis) policy: its lease entry plus its local fallback limiter's key. */
export const SHARED_KEY_BYTES = 1460;
/** A request queued for a concurrency slot (its ConcurrencyWait and promise). */
export const QUEUED_REQUEST_BYTES = 343;
/** A request waiting for an upstream connection (breaker.maxPending): its Exchange. */
export const PENDING_EXCHANGE_BYTES = 571;
/** An upstream keep-alive connection (Connection object and Bun's native socket). */
export const CONNECTION_BYTES = 7537;
/** One LatencyHistogram (HDR, 1 µs .. 60 s, 2 digits): per-endpoint latency. */
export const HISTOGRAM_BYTES = 23331;
/** A route's recent-latency window (two histograms; routes that hedge or retry). */
export const LATENCY_WINDOW_BYTES = 43728;
/** An endpoint's health state (active-check streaks, outlier ejection arrays). */
export const ENDPOINT_HEALTH_BYTES = 405;
/** A route's metrics series (its duration histogram, status-class and problem-code counters). */
export const ROUTE_METRICS_BYTES = 32768;
/** The admin dashboard's sampler (src/observe/series/stats-sampler.ts), ring full, all problem codes seen. */
export const DASHBOARD_SAMPLER_BYTES = 510566;
/** Its columns for one more route (150 samples). */
export const DASHBOARD_ROUTE_BYTES = 43909;

export interface MemoryTable {
  readonly name: string;
  /** Entries at most (the configured bound). */
  readonly capacity: number;
  readonly bytesPerEntry: number;
  /** capacity × bytesPerEntry. */
  readonly bytes: number;
}

export interface MemoryEstimate {
  /** Largest first. */
  readonly tables: readonly MemoryTable[];
  readonly totalBytes: number;
}

export function estimateMemory(plan: Plan): MemoryEstimate {
  const tables: MemoryTable[] = [];
  const add = (name: string, capacity: number, bytesPerEntry: number) => {
    if (capacity > 0) tables.push({ name, capacity, bytesPerEntry, bytes: capacity * bytesPerEntry });
  };

  // A named policy is one table for every route naming it: count each policy once.
  const policies = new Map<string, { maxKeys: number; shared: boolean }>();
  for (const r of plan.routes) for (const p of r.rateLimits) policies.set(p.name, { maxKeys: p.maxKeys, shared: p.shared !== null });
  for (const [name, p] of policies) add(`rate limit "${name}" keys${p.shared ? " (shared)" : ""}`, p.maxKeys, p.shared ? SHARED_KEY_BYTES : RATE_KEY_BYTES);

  for (const r of plan.routes) if (r.concurrency) add(`route "${r.name}" concurrency queue`, r.concurrency.queue, QUEUED_REQUEST_BYTES);
  let endpoints = 0;
  for (const u of plan.upstreams.values()) {
    endpoints += u.endpoints.length;
    if (u.concurrency) add(`upstream "${u.name}" concurrency queue`, u.concurrency.queue, QUEUED_REQUEST_BYTES);
    const maxConnections = u.breaker?.maxConnections ?? null;
    if (maxConnections !== null) add(`upstream "${u.name}" connections (breaker.maxConnections)`, maxConnections, CONNECTION_BYTES);
    else add(`upstream "${u.name}" idle connections`, u.maxIdlePerEndpoint * u.endpoints.length, CONNECTION_BYTES);
    const maxPending = u.breaker?.maxPending ?? null;
    if (maxConnections !== null && maxPending !== null) add(`upstream "${u.name}" connection waiters`, maxPending, PENDING_EXCHANGE_BYTES);
  }
  add("endpoint latency histograms", endpoints, HISTOGRAM_BYTES);
  add("endpoint health", endpoints, ENDPOINT_HEALTH_BYTES);
  add("route latency windows (hedge, retry)", plan.routes.filter((r) => r.hedge !== null || r.retry !== null).length, LATENCY_WINDOW_BYTES);
  // One series per route plus the "(none)" series for requests no route matched.
  add("route metrics", plan.routes.length + 1, ROUTE_METRICS_BYTES);
  // The dashboard's sampler runs only with an admin listener (it serves /dashboard); it keeps
  // the same route series as the metrics.
  if (plan.admin !== null) {
    add("dashboard sampler", 1, DASHBOARD_SAMPLER_BYTES);
    add("dashboard route series", plan.routes.length + 1, DASHBOARD_ROUTE_BYTES);
  }

  tables.sort((a, b) => b.bytes - a.bytes);
  return { tables, totalBytes: tables.reduce((sum, t) => sum + t.bytes, 0) };
}

/** The over-budget message (semantic.ts points it at memoryBudget), or null when the plan fits. */
export function overBudget(estimate: MemoryEstimate, budgetBytes: number, budgetText: string): string | null {
  if (estimate.totalBytes <= budgetBytes) return null;
  const biggest = estimate.tables.slice(0, 3).map((t) => `${t.name} (${t.capacity} × ${t.bytesPerEntry} b = ${formatBytes(t.bytes)})`);
  return `memoryBudget: the tables may take up to ${formatBytes(estimate.totalBytes)} at capacity, over the budget of ${budgetText}; biggest: ${biggest.join(", ")} (lower these capacities or raise the budget)`;
}

/** 1536 → "1.5kb"; binary units as the config's sizes ("1mb" = 1024 × 1024 bytes). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [["gb", 1024 ** 3], ["mb", 1024 ** 2], ["kb", 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return `${bytes}b`;
}
