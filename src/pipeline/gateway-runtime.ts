// Everything the request path needs, built once from a Plan: the router, each upstream's
// balancer and concurrency limiter, each route's rate limits and concurrency limiter, and
// route → upstream lookups by index (no string lookups per request).

import type { Plan, RoutePlan, UpstreamPlan } from "../config/plan.ts";
import { compileCidrs, type CidrSet } from "../limits/client-ip.ts";
import { ConcurrencyLimiter } from "../limits/concurrency/concurrency-limiter.ts";
import { LimiterSet } from "../limits/limiter-set.ts";
import { OverloadDetector } from "../limits/overload-detector.ts";
import { compileKey, type KeyFunction } from "../limits/rate/limit-key.ts";
import { RouteRateLimits } from "../limits/rate/route-limits.ts";
import { Router } from "../router/router.ts";
import { createBalancer, type Balancer } from "../upstream/balancer.ts";

export interface UpstreamRuntime {
  readonly index: number;
  readonly plan: UpstreamPlan;
  readonly balancer: Balancer;
  readonly concurrency: ConcurrencyLimiter | null;
}

/** A route's admission: its rate limits (all must pass) and its concurrency limiter. */
export interface RouteRuntime {
  readonly plan: RoutePlan;
  readonly rateLimits: RouteRateLimits | null;
  /** keyOf[i] builds the key for rateLimits.limiters[i]. */
  readonly keyOf: readonly KeyFunction[];
  /** Reused per request (admission is synchronous): keys[i] for limiter i. */
  readonly keys: string[];
  /** Some key uses the client IP (resolved through trustedProxies only then). */
  readonly needsClientIp: boolean;
  readonly concurrency: ConcurrencyLimiter | null;
}

export interface GatewayRuntime {
  readonly plan: Plan;
  readonly router: Router;
  readonly upstreams: readonly UpstreamRuntime[];
  /** By route index. */
  readonly upstreamOfRoute: readonly UpstreamRuntime[];
  /** By route index. */
  readonly routes: readonly RouteRuntime[];
  readonly trustedProxies: CidrSet;
  readonly limiters: LimiterSet;
  readonly overload: OverloadDetector;
  /** Stops the runtime's timers and background work (Redis leases included). */
  close(): void;
}

export function buildRuntime(plan: Plan): GatewayRuntime {
  const upstreams: UpstreamRuntime[] = [];
  const byName = new Map<string, UpstreamRuntime>();
  for (const up of plan.upstreams.values()) {
    const rt = {
      index: upstreams.length,
      plan: up,
      balancer: createBalancer(
        { kind: up.balance } as import("../resilience/types.ts").BalancePlan,
        up.endpoints.map((e) => ({ url: e.url, weight: 1 })),
        new Uint8Array(up.endpoints.length).fill(1),
      ),
      concurrency: up.concurrency === null ? null : new ConcurrencyLimiter(up.concurrency),
    };
    upstreams.push(rt);
    byName.set(up.name, rt);
  }
  const upstreamOfRoute = plan.routes.map((r: RoutePlan) => {
    const up = byName.get(r.upstream);
    // compile.ts guarantees the name exists; a miss here is a bug in the compiler.
    if (up === undefined) throw new Error(`route ${r.name}: upstream ${r.upstream} missing from plan`);
    return up;
  });
  const trusted = compileCidrs([...plan.server.trustedProxies]);
  // semantic.ts rejects a bad list; a miss here is a bug in the checks.
  if ("error" in trusted) throw new Error(`server.trustedProxies: ${trusted.error}`);
  const limiters = new LimiterSet(plan.redis);
  const routes = plan.routes.map((r): RouteRuntime => {
    const rl = r.rateLimits.length === 0 ? null : new RouteRateLimits(r.rateLimits.map((p) => limiters.limiterFor(p)));
    return {
      plan: r,
      rateLimits: rl,
      keyOf: r.rateLimits.map((p) => compileKey(p.key)),
      keys: r.rateLimits.map(() => ""),
      needsClientIp: r.rateLimits.some((p) => p.key.some((k) => k.kind === "clientIp")),
      concurrency: r.concurrency === null ? null : new ConcurrencyLimiter(r.concurrency),
    };
  });
  const overload = new OverloadDetector(plan.server.shedding);
  return {
    plan,
    router: new Router(plan.routes),
    upstreams,
    upstreamOfRoute,
    routes,
    trustedProxies: trusted,
    limiters,
    overload,
    close() {
      overload.stop();
      limiters.close();
      for (const r of routes) r.concurrency?.close();
      for (const u of upstreams) u.concurrency?.close();
    },
  };
}
