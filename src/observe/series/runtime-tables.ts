// The dashboard's tables and limiter gauges, read from the runtime in force when asked: endpoint
// health per upstream, rate-limit policies per route, concurrency limiters. Reads counters only.

import type { ConcurrencyLimiter } from "../../limits/concurrency/concurrency-limiter.ts";
import type { GatewayRuntime } from "../../pipeline/gateway-runtime.ts";
import type { ConcurrencyRow, RatePolicyRow, UpstreamRow } from "./dashboard-data.ts";

export function upstreamRows(rt: GatewayRuntime): UpstreamRow[] {
  return rt.upstreams.map((u) => ({
    name: u.plan.name,
    healthy: u.health.healthyCount,
    ejections: u.health.ejections,
    breaker: u.breaker?.state ?? null,
    endpoints: u.plan.endpoints.map((e, i) => {
      const h = u.endpointLatency[i];
      return { url: e.url, state: u.health.state(i), p99Ms: h === undefined || h.count === 0 ? null : h.percentile(99) };
    }),
  }));
}

export function ratePolicyRows(rt: GatewayRuntime): RatePolicyRow[] {
  const rows: RatePolicyRow[] = [];
  for (const r of rt.routes) {
    const rl = r.rateLimits;
    if (rl === null) continue;
    rl.limiters.forEach((l, i) => rows.push({ route: r.plan.name, policy: l.policy.name, allowed: rl.allowed[i] ?? 0, limited: rl.limited[i] ?? 0 }));
  }
  return rows;
}

export function concurrencyRows(rt: GatewayRuntime): ConcurrencyRow[] {
  const rows: ConcurrencyRow[] = [];
  const add = (scope: "route" | "upstream", name: string, l: ConcurrencyLimiter | null) => {
    if (l === null) return;
    rows.push({
      scope,
      name,
      limit: l.limit,
      inFlight: l.inFlight,
      queued: l.queued,
      admitted: l.admitted,
      rejected: l.rejectedFull + l.rejectedTimeout + l.shed + l.cancelled,
    });
  };
  for (const r of rt.routes) add("route", r.plan.name, r.concurrency);
  for (const u of rt.upstreams) add("upstream", u.plan.name, u.concurrency);
  return rows;
}

/** Sums over every concurrency limiter (routes and upstreams), written into `out`: [queued, inFlight]. */
export function concurrencyGauges(rt: GatewayRuntime, out: Float64Array): void {
  let queued = 0;
  let inFlight = 0;
  for (const r of rt.routes) {
    if (r.concurrency !== null) {
      queued += r.concurrency.queued;
      inFlight += r.concurrency.inFlight;
    }
  }
  for (const u of rt.upstreams) {
    if (u.concurrency !== null) {
      queued += u.concurrency.queued;
      inFlight += u.concurrency.inFlight;
    }
  }
  out[0] = queued;
  out[1] = inFlight;
}
