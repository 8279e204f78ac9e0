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
import { LatencyHistogram } from "../observe/latency-histogram.ts";
import { CircuitBreaker } from "../resilience/breaker/circuit-breaker.ts";
import { InFlightCap } from "../resilience/breaker/in-flight-cap.ts";
import type { EndpointHealth } from "../resilience/health/endpoint-health.ts";
import { startUpstreamHealth } from "../resilience/health/upstream-health.ts";
import { HedgeBudget } from "../resilience/hedge/hedge-budget.ts";
import { WindowedLatency } from "../resilience/hedge/windowed-latency.ts";
import { RetryBudget } from "../resilience/retry/retry-budget.ts";
import type { BalancePlan, HedgePlan } from "../resilience/types.ts";
import { createBalancer, type Balancer } from "../upstream/balancer.ts";
import { RETRY_REASONS } from "./upstream-attempts.ts";

/**
 * Hedges a calm spell may save up: enough for a short cluster of slow answers (a GC pause, a
 * noisy neighbour) without leaving the truly slow ones unhedged; still bounded, so a long stall
 * does not double the load of an upstream that is slow because it is overloaded.
 */
const HEDGE_BURST_TOKENS = 100;

/** A route that retries without hedging still tracks its median latency (room for a retry). */
const MEDIAN_WINDOW: HedgePlan = { percentile: 50, floorMs: 0, maxExtraRatio: 0, windowMs: 30_000, refreshMs: 5_000 };

function balancePlan(up: UpstreamPlan): BalancePlan {
  return up.balance === "hash" && up.hashKey !== null ? { kind: "hash", key: up.hashKey } : ({ kind: up.balance } as BalancePlan);
}

export interface UpstreamRuntime {
  readonly index: number;
  readonly plan: UpstreamPlan;
  readonly balancer: Balancer;
  readonly concurrency: ConcurrencyLimiter | null;
  /** Which endpoints may take traffic (active checks, outlier ejection); balancers read it. */
  readonly health: EndpointHealth;
  readonly breaker: CircuitBreaker | null;
  /** breaker.maxInFlight (a hard ceiling, no queue); null = none. */
  readonly inFlightCap: InFlightCap | null;
  readonly retryBudget: RetryBudget;
  /** Per endpoint: attempt latency to the response head. */
  readonly endpointLatency: readonly LatencyHistogram[];
  /** Retries sent, by reason (RETRY_REASONS order). */
  readonly retriesByReason: Float64Array;
  /** Retries not sent because the deadline left no room. */
  retriesSkippedForDeadline: number;
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
  /** Builds the hash key when the upstream balances by hash; else null. */
  readonly hashKeyOf: KeyFunction | null;
  /** Recent latency (hedge threshold, room for a retry); null when the route neither retries nor hedges. */
  readonly latency: WindowedLatency | null;
  /** The hedge threshold's source (the same object as latency) when the route hedges; else null. */
  readonly hedge: WindowedLatency | null;
  readonly hedgeBudget: HedgeBudget | null;
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

/** The parts of an upstream's runtime that hold state, which a reload may keep. */
export type UpstreamState = Pick<
  UpstreamRuntime,
  "health" | "balancer" | "breaker" | "inFlightCap" | "retryBudget" | "endpointLatency" | "retriesByReason" | "retriesSkippedForDeadline" | "concurrency"
>;

/** The parts of a route's runtime that hold state, which a reload may keep. */
export type RouteState = Pick<RouteRuntime, "rateLimits" | "concurrency" | "latency" | "hedgeBudget">;

/**
 * What a reload keeps from the runtime it replaces, by name (src/server/reload/carry-over.ts
 * decides what is unchanged); every part not given is built afresh.
 */
export interface CarriedState {
  readonly from: GatewayRuntime;
  readonly upstreams: ReadonlyMap<string, Partial<UpstreamState>>;
  readonly routes: ReadonlyMap<string, Partial<RouteState>>;
  /** Rate-limit policies whose limiters (key tables) move to the new runtime. */
  readonly policies: readonly string[];
  /** Unchanged Redis settings: the connection moves too. */
  readonly redis: boolean;
  /** Unchanged shedding settings: the overload detector (and its timer) carries on. */
  readonly overload: boolean;
}

/** `localRateScale`: the share of each local rate limit this process enforces (1/N of N workers). */
export function buildRuntime(plan: Plan, carried: CarriedState | null = null, localRateScale = 1): GatewayRuntime {
  const upstreams: UpstreamRuntime[] = [];
  const byName = new Map<string, UpstreamRuntime>();
  for (const up of plan.upstreams.values()) {
    const kept = carried?.upstreams.get(up.name) ?? {};
    const health = kept.health ?? startUpstreamHealth(up);
    const rt: UpstreamRuntime = {
      index: upstreams.length,
      plan: up,
      health,
      breaker: kept.breaker !== undefined ? kept.breaker : up.breaker === null ? null : new CircuitBreaker(up.breaker),
      inFlightCap: kept.inFlightCap !== undefined ? kept.inFlightCap : up.breaker === null || up.breaker.maxInFlight === null ? null : new InFlightCap(up.breaker.maxInFlight),
      retryBudget: kept.retryBudget ?? new RetryBudget(up.retryBudget),
      endpointLatency: kept.endpointLatency ?? up.endpoints.map(() => new LatencyHistogram()),
      retriesByReason: kept.retriesByReason ?? new Float64Array(RETRY_REASONS.length),
      retriesSkippedForDeadline: kept.retriesSkippedForDeadline ?? 0,
      balancer: kept.balancer ?? createBalancer(balancePlan(up), up.endpoints, health.available),
      concurrency: kept.concurrency !== undefined ? kept.concurrency : up.concurrency === null ? null : new ConcurrencyLimiter(up.concurrency),
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
  const limiters = new LimiterSet(plan.redis, carried?.redis ? carried.from.limiters : null, localRateScale);
  for (const name of carried?.policies ?? []) limiters.adopt(carried!.from.limiters, name);
  // Not `carried` itself inside the closures below: close() shares their scope, and a runtime
  // holding `carried.from` would keep every runtime before it alive.
  const keptRoutes = carried?.routes;
  const routes = plan.routes.map((r, i): RouteRuntime => {
    const up = upstreamOfRoute[i]!.plan;
    const kept = keptRoutes?.get(r.name) ?? {};
    const latency = kept.latency !== undefined ? kept.latency : r.hedge !== null || r.retry !== null ? new WindowedLatency(r.hedge ?? MEDIAN_WINDOW) : null;
    const rl = kept.rateLimits !== undefined ? kept.rateLimits : r.rateLimits.length === 0 ? null : new RouteRateLimits(r.rateLimits.map((p) => limiters.limiterFor(p)));
    return {
      plan: r,
      rateLimits: rl,
      keyOf: r.rateLimits.map((p) => compileKey(p.key)),
      keys: r.rateLimits.map(() => ""),
      needsClientIp: r.rateLimits.some((p) => p.key.some((k) => k.kind === "clientIp")),
      concurrency: kept.concurrency !== undefined ? kept.concurrency : r.concurrency === null ? null : new ConcurrencyLimiter(r.concurrency),
      hashKeyOf: up.hashKey === null ? null : compileKey([up.hashKey]),
      latency,
      hedge: r.hedge === null ? null : latency,
      hedgeBudget: kept.hedgeBudget !== undefined ? kept.hedgeBudget : r.hedge === null ? null : new HedgeBudget(r.hedge, HEDGE_BURST_TOKENS),
    };
  });
  const overload = carried?.overload ? carried.from.overload : new OverloadDetector(plan.server.shedding);
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
      for (const u of upstreams) {
        u.concurrency?.close();
        u.health.close();
      }
    },
  };
}
