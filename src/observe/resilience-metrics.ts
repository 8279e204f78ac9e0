// /metrics families for tail control (docs/resilience.md): endpoint health, ejections, breakers,
// retries by reason and budget, hedges, per-endpoint latency. Read at scrape time from the
// counters the mechanisms keep; `current` returns the runtime in force (reload-safe).

import type { GatewayRuntime, UpstreamRuntime } from "../pipeline/gateway-runtime.ts";
import { RETRY_REASONS } from "../pipeline/upstream-attempts.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";

const STATE_CODE = { healthy: 0, unhealthy: 1, ejected: 2 } as const;
const QUANTILES: readonly (readonly [number, string])[] = [
  [50, "0.5"],
  [99, "0.99"],
  [99.9, "0.999"],
];

export function registerResilienceMetrics(metrics: GatewayMetrics, current: () => GatewayRuntime): void {
  const rt = current();
  rt.upstreams.forEach((u, ui) => {
    const up = () => current().upstreams[ui] as UpstreamRuntime | undefined;
    const labels = { upstream: u.plan.name };
    const n = (f: (u: UpstreamRuntime) => number) => () => {
      const x = up();
      return x === undefined ? 0 : f(x);
    };
    metrics.addGauge("keel_upstream_healthy_endpoints", "Endpoints that may take traffic (not failing active checks, not ejected).", n((x) => x.health.healthyCount), labels);
    metrics.addCounter("keel_upstream_ejections_total", "Outlier ejections of the upstream's endpoints.", n((x) => x.health.ejections), labels);
    metrics.addCounter("keel_upstream_health_check_failures_total", "Failed active health checks.", n((x) => x.health.activeFailures), labels);
    u.plan.endpoints.forEach((e, ei) => {
      const el = { ...labels, endpoint: e.url };
      metrics.addGauge("keel_upstream_endpoint_state", "Endpoint health: 0 healthy, 1 unhealthy (active checks), 2 ejected (outlier detection).", n((x) => STATE_CODE[x.health.state(ei)]), el);
      for (const [p, q] of QUANTILES) {
        metrics.addGauge("keel_upstream_endpoint_latency_seconds", "Attempt latency to the response head per endpoint, since start (HDR; NaN before the first answer).", n((x) => {
          const h = x.endpointLatency[ei];
          return h === undefined || h.count === 0 ? NaN : h.percentile(p) / 1e3; // percentile() is in ms
        }), { ...el, quantile: q });
      }
    });
    if (u.breaker !== null) {
      metrics.addGauge("keel_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open.", n((x) => x.breaker?.stateCode ?? 0), labels);
      metrics.addCounter("keel_breaker_opened_total", "Times the breaker opened.", n((x) => x.breaker?.opened ?? 0), labels);
      metrics.addCounter("keel_breaker_refused_total", "Requests refused by an open (or probing) breaker.", n((x) => x.breaker?.refused ?? 0), labels);
    }
    if (u.inFlightCap !== null) {
      metrics.addGauge("keel_upstream_in_flight", "Requests in flight to the upstream (breaker.maxInFlight counts these).", n((x) => x.inFlightCap?.inFlight ?? 0), labels);
      metrics.addCounter("keel_upstream_in_flight_refused_total", "Requests refused at breaker.maxInFlight.", n((x) => x.inFlightCap?.refused ?? 0), labels);
    }
    RETRY_REASONS.forEach((reason, ri) => {
      metrics.addCounter("keel_retries_total", "Retries sent, by upstream and reason (connect-failure, reset, status).", n((x) => x.retriesByReason[ri] ?? 0), { ...labels, reason });
    });
    metrics.addCounter("keel_retry_budget_exhausted_total", "Retries the policy allowed but the retry budget refused.", n((x) => x.retryBudget.retriesRefused), labels);
    metrics.addCounter("keel_retries_skipped_deadline_total", "Retries not started because the remaining budget or timeout could not cover one.", n((x) => x.retriesSkippedForDeadline), labels);
  });
  rt.routes.forEach((r, ri) => {
    if (r.hedgeBudget === null) return;
    const labels = { route: r.plan.name };
    const route = () => current().routes[ri];
    const n = (f: (b: NonNullable<ReturnType<typeof route>>) => number) => () => {
      const x = route();
      return x === undefined ? 0 : f(x);
    };
    metrics.addCounter("keel_hedges_sent_total", "Hedges (backup requests) sent.", n((x) => x.hedgeBudget?.hedgesAllowed ?? 0), labels);
    metrics.addCounter("keel_hedges_won_total", "Hedges whose answer was used (they beat the first attempt).", n((x) => x.hedgeBudget?.hedgesWon ?? 0), labels);
    metrics.addCounter("keel_hedges_refused_total", "Hedges not sent because the hedge budget was spent.", n((x) => x.hedgeBudget?.hedgesRefused ?? 0), labels);
    metrics.addGauge("keel_hedge_threshold_seconds", "Current hedge delay: the route's recent percentile (never below the floor); +Inf while too few samples.", n((x) => (x.hedge?.thresholdMs(performance.now()) ?? Infinity) / 1000), labels);
  });
}

/** Endpoint health per upstream, for /readyz. */
export function healthSummary(rt: GatewayRuntime): Record<string, { healthy: number; endpoints: Record<string, string> }> {
  const out: Record<string, { healthy: number; endpoints: Record<string, string> }> = {};
  for (const u of rt.upstreams) {
    const endpoints: Record<string, string> = {};
    u.plan.endpoints.forEach((e, i) => (endpoints[e.url] = u.health.state(i)));
    out[u.plan.name] = { healthy: u.health.healthyCount, endpoints };
  }
  return out;
}
