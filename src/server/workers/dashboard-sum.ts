// /dashboard/data of a supervisor: its workers' documents combined into one, so the charts show
// the whole gateway, not one worker's share. The rules follow /metrics (metrics-sum.ts): what adds
// up across processes is summed (rates, counts, gauges of load and memory), the rest is the worst
// worker's (latency percentiles, event-loop lag, health, breaker states).
//
// Each worker samples on its own timer, so samples are matched by time: the first document's
// sample times are the timeline, and a worker's sample counts at the time within half an
// interval of it (a worker that has none there adds nothing to that point).

import type {
  CodeRow,
  ConcurrencyRow,
  DashboardData,
  EndpointRow,
  RatePolicyRow,
  RouteSeries,
  StatusClassRow,
  UpstreamRow,
} from "../../observe/series/dashboard-data.ts";
import type { SeriesValues } from "../../observe/series/series-ring.ts";

type Combine = "sum" | "max";

/** One dashboard document for the gateway from the documents of its workers (at least one). */
export function combineDashboards(docs: readonly DashboardData[]): DashboardData {
  const first = docs[0]!;
  if (docs.length === 1) return first;
  const half = first.intervalMs / 2;
  const maps = docs.map((d) => alignTo(first.t, d.t, half));
  /** A column of every document (undefined where a document lacks it), combined on the timeline. */
  const column = (of: (d: DashboardData) => SeriesValues | undefined, how: Combine): SeriesValues => combineColumn(docs.map(of), maps, first.t.length, how);
  return {
    intervalMs: first.intervalMs,
    capacity: first.capacity,
    t: first.t,
    now: Math.max(...docs.map((d) => d.now)),
    sampleFailures: sum(docs.map((d) => d.sampleFailures)),
    inFlight: column((d) => d.inFlight, "sum"),
    routes: byKey(docs, (d) => d.routes, (r) => r.name, (name): RouteSeries => {
      const of = (d: DashboardData) => d.routes.find((r) => r.name === name);
      const classes = unique(docs.flatMap((d) => Object.keys(of(d)?.status ?? {})));
      return {
        name,
        inForce: docs.some((d) => of(d)?.inForce === true),
        rps: column((d) => of(d)?.rps, "sum"),
        status: Object.fromEntries(classes.map((c) => [c, column((d) => of(d)?.status[c], "sum")])),
        p50: column((d) => of(d)?.p50, "max"),
        p99: column((d) => of(d)?.p99, "max"),
        p999: column((d) => of(d)?.p999, "max"),
      };
    }),
    statusClasses: byKey(docs, (d) => d.statusClasses, (r) => r.statusClass, (statusClass, rows): StatusClassRow => {
      const of = (d: DashboardData) => d.statusClasses.find((r) => r.statusClass === statusClass);
      return { statusClass, perSecond: column((d) => of(d)?.perSecond, "sum"), window: sum(rows.map((r) => r.window)), sinceStart: sum(rows.map((r) => r.sinceStart)) };
    }),
    codes: byKey(docs, (d) => d.codes, (r) => r.code, (code, rows): CodeRow => {
      const of = (d: DashboardData) => d.codes.find((r) => r.code === code);
      return { code, status: rows[0]!.status, title: rows[0]!.title, perInterval: column((d) => of(d)?.perInterval, "sum"), window: sum(rows.map((r) => r.window)), sinceStart: sum(rows.map((r) => r.sinceStart)) };
    }),
    limits: {
      rateLimited: column((d) => d.limits.rateLimited, "sum"),
      concurrencyRejected: column((d) => d.limits.concurrencyRejected, "sum"),
      shed: column((d) => d.limits.shed, "sum"),
      queued: column((d) => d.limits.queued, "sum"),
      limiterInFlight: column((d) => d.limits.limiterInFlight, "sum"),
      ratePolicies: byKey(docs, (d) => d.limits.ratePolicies, (r) => `${r.route}\u0000${r.policy}`, (_, rows: RatePolicyRow[]): RatePolicyRow => ({
        route: rows[0]!.route,
        policy: rows[0]!.policy,
        allowed: sum(rows.map((r) => r.allowed)),
        limited: sum(rows.map((r) => r.limited)),
      })),
      concurrency: byKey(docs, (d) => d.limits.concurrency, (r) => `${r.scope}\u0000${r.name}`, (_, rows: ConcurrencyRow[]): ConcurrencyRow => ({
        scope: rows[0]!.scope,
        name: rows[0]!.name,
        // Each worker holds its own limiter: the gateway admits their sum.
        limit: sum(rows.map((r) => r.limit)),
        inFlight: sum(rows.map((r) => r.inFlight)),
        queued: sum(rows.map((r) => r.queued)),
        admitted: sum(rows.map((r) => r.admitted)),
        rejected: sum(rows.map((r) => r.rejected)),
      })),
      shedding: docs.some((d) => d.limits.shedding),
    },
    upstreams: byKey(docs, (d) => d.upstreams, (u) => u.name, (name, rows: UpstreamRow[]): UpstreamRow => ({
      name,
      // Health and breakers are each worker's own view: the worst one is shown.
      healthy: Math.min(...rows.map((r) => r.healthy)),
      ejections: sum(rows.map((r) => r.ejections)),
      breaker: worst(rows.map((r) => r.breaker), BREAKER_ORDER),
      endpoints: byKey(rows, (u) => u.endpoints, (e) => e.url, (url, endpoints: EndpointRow[]): EndpointRow => {
        const p99s = endpoints.map((e) => e.p99Ms).filter((v): v is number => v !== null);
        return { url, state: worst(endpoints.map((e) => e.state), ENDPOINT_ORDER)!, p99Ms: p99s.length === 0 ? null : Math.max(...p99s) };
      }),
    })),
    process: {
      lagP99Ms: column((d) => d.process.lagP99Ms, "max"),
      lagMaxMs: column((d) => d.process.lagMaxMs, "max"),
      heapUsedMB: column((d) => d.process.heapUsedMB, "sum"),
      rssMB: column((d) => d.process.rssMB, "sum"),
      cpuPercent: column((d) => d.process.cpuPercent, "sum"),
      gc: first.process.gc,
    },
  };
}

/** Worst first. */
const BREAKER_ORDER = ["open", "half-open", "closed"];
const ENDPOINT_ORDER = ["ejected", "unhealthy", "healthy"];

/** The worst of `values` by `order` (worst first; a value not in it counts as worse still); null when all are null. */
function worst(values: readonly (string | null)[], order: readonly string[]): string | null {
  let found: string | null = null;
  let rank = Infinity;
  for (const v of values) {
    if (v === null) continue;
    const r = order.indexOf(v); // -1 for an unknown value: below every known rank
    if (r < rank) {
      rank = r;
      found = v;
    }
  }
  return found;
}

/**
 * For each time of the timeline `ref`, the index of the sample of `times` within `half` ms of it,
 * or -1. Both are in ascending order; each sample of `times` is used once at most.
 */
export function alignTo(ref: readonly number[], times: readonly number[], half: number): Int32Array {
  const out = new Int32Array(ref.length).fill(-1);
  let j = 0;
  for (let i = 0; i < ref.length; i++) {
    while (j < times.length && times[j]! < ref[i]! - half) j++;
    if (j < times.length && times[j]! <= ref[i]! + half) out[i] = j++;
  }
  return out;
}

/** The columns combined point by point on the timeline; a point no document has a value for is null. */
function combineColumn(columns: readonly (SeriesValues | undefined)[], maps: readonly Int32Array[], length: number, how: Combine): SeriesValues {
  const out: SeriesValues = new Array(length).fill(null);
  for (let k = 0; k < columns.length; k++) {
    const col = columns[k];
    if (col === undefined) continue;
    const map = maps[k]!;
    for (let i = 0; i < length; i++) {
      const at = map[i]!;
      const v = at < 0 ? null : col[at] ?? null;
      if (v === null) continue;
      const have = out[i]!;
      out[i] = have === null ? v : how === "sum" ? have + v : Math.max(have, v);
    }
  }
  return out;
}

/** One row per key over all documents' rows (first seen first), made by `make` from the key and the rows that have it. */
function byKey<D, R, O>(docs: readonly D[], rowsOf: (d: D) => readonly R[], keyOf: (r: R) => string, make: (key: string, rows: R[]) => O): O[] {
  const rows = new Map<string, R[]>();
  for (const d of docs) {
    for (const r of rowsOf(d)) {
      const key = keyOf(r);
      const have = rows.get(key);
      if (have === undefined) rows.set(key, [r]);
      else have.push(r);
    }
  }
  return [...rows].map(([key, rs]) => make(key, rs));
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const unique = (xs: readonly string[]): string[] => [...new Set(xs)];
