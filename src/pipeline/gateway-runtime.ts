// Everything the request path needs, built once from a Plan: the router, each upstream's
// balancer, and route → upstream lookups by index (no string lookups per request).

import type { Plan, RoutePlan, UpstreamPlan } from "../config/plan.ts";
import { Router } from "../router/router.ts";
import { createBalancer, type Balancer } from "../upstream/balancer.ts";

export interface UpstreamRuntime {
  readonly index: number;
  readonly plan: UpstreamPlan;
  readonly balancer: Balancer;
}

export interface GatewayRuntime {
  readonly plan: Plan;
  readonly router: Router;
  readonly upstreams: readonly UpstreamRuntime[];
  /** By route index. */
  readonly upstreamOfRoute: readonly UpstreamRuntime[];
}

export function buildRuntime(plan: Plan): GatewayRuntime {
  const upstreams: UpstreamRuntime[] = [];
  const byName = new Map<string, UpstreamRuntime>();
  for (const up of plan.upstreams.values()) {
    const rt = { index: upstreams.length, plan: up, balancer: createBalancer(up.balance, up.endpoints.length) };
    upstreams.push(rt);
    byName.set(up.name, rt);
  }
  const upstreamOfRoute = plan.routes.map((r: RoutePlan) => {
    const up = byName.get(r.upstream);
    // compile.ts guarantees the name exists; a miss here is a bug in the compiler.
    if (up === undefined) throw new Error(`route ${r.name}: upstream ${r.upstream} missing from plan`);
    return up;
  });
  return { plan, router: new Router(plan.routes), upstreams, upstreamOfRoute };
}
