// The /metrics families that follow the plan's upstreams, routes and limiters. They read the
// runtime by position, so every swap drops them and registers them again for the new plan
// (scope "plan"); counters of state a reload kept carry on, the rest restart from 0.

import type { GatewayMetrics } from "../../observe/gateway-metrics.ts";
import { registerLimitMetrics } from "../../observe/limit-metrics.ts";
import { registerResilienceMetrics } from "../../observe/resilience-metrics.ts";
import type { GatewayRuntime } from "../../pipeline/gateway-runtime.ts";
import type { UpstreamClient } from "../../upstream/client.ts";

const SCOPE = "plan";

export function registerPlanMetrics(metrics: GatewayMetrics, client: UpstreamClient, current: () => GatewayRuntime): void {
  metrics.dropScope(SCOPE);
  metrics.scoped(SCOPE, () => {
    for (const up of current().plan.upstreams.values()) {
      const labels = { upstream: up.name };
      metrics.addGauge("keel_upstream_connections", "Open and connecting connections to the upstream (all endpoints; breaker.maxConnections caps them).", () => client.connections?.(up.name).open ?? 0, labels);
      metrics.addGauge("keel_upstream_pending", "Requests waiting for a connection to the upstream (breaker.maxPending caps them).", () => client.connections?.(up.name).pending ?? 0, labels);
    }
    registerLimitMetrics(metrics, current);
    registerResilienceMetrics(metrics, current);
  });
}
