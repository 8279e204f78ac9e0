// What a reload keeps from the runtime in force (docs/operations.md, "Reload"): each piece of
// state is kept when the settings it depends on are unchanged, compared by value. The table:
//
//   upstream identity  = same name and the same endpoint list (url and weight, in order): state is
//                        indexed by endpoint position, so any other endpoint change starts afresh.
//   of such an upstream:  per-endpoint latency and retry counters (always), health (same active
//                        check and outlier settings), balancer (health kept, same balance), breaker
//                        and in-flight cap (same breaker), retry budget (same retryBudget),
//                        concurrency limiter (same concurrency).
//   rate-limit policy  = same policy name and settings (a shared one also needs the same redis):
//                        its limiter and key table move over, whichever routes use it.
//   route identity     = same name; of such a route: its rate-limit counters (same policy list,
//                        all kept), concurrency limiter (same concurrency), hedge budget (same hedge),
//                        latency window (same hedge and retry presence, and its upstream kept with
//                        the same name).
//   redis connection   = same redis settings. Overload detector = same server.shedding.
//
// Connection pools are not decided here: the HTTP/1 client keeps one pool per host:port for the
// process's life, so every endpoint still configured keeps its idle connections.

import type { Plan, RoutePlan, UpstreamPlan } from "../../config/plan.ts";
import type { CarriedState, GatewayRuntime, RouteRuntime, RouteState, UpstreamRuntime, UpstreamState } from "../../pipeline/gateway-runtime.ts";
import { samePlanValue as same } from "./plan-equal.ts";

/** The state `next` may take over from `from` (for buildRuntime). */
export function carryOver(from: GatewayRuntime, next: Plan): CarriedState {
  const redis = next.redis !== null && same(from.plan.redis, next.redis);
  const oldUpstreams = new Map(from.upstreams.map((u) => [u.plan.name, u] as const));
  const upstreams = new Map<string, Partial<UpstreamState>>();
  for (const up of next.upstreams.values()) {
    const old = oldUpstreams.get(up.name);
    if (old !== undefined && sameUpstreamIdentity(old.plan, up)) upstreams.set(up.name, upstreamParts(old, up));
  }

  const policies: string[] = [];
  const seen = new Set<string>();
  for (const r of next.routes) {
    for (const p of r.rateLimits) {
      if (seen.has(p.name)) continue;
      seen.add(p.name);
      const old = from.limiters.find(p.name);
      if (old !== undefined && same(old.policy, p) && (p.shared === null || redis)) policies.push(p.name);
    }
  }

  const oldRoutes = new Map(from.routes.map((r) => [r.plan.name, r] as const));
  const routes = new Map<string, Partial<RouteState>>();
  for (const r of next.routes) {
    const old = oldRoutes.get(r.name);
    if (old === undefined) continue;
    const upstreamKept = old.plan.upstream === r.upstream && upstreams.has(r.upstream);
    const parts = routeParts(old, r, new Set(policies), upstreamKept);
    if (Object.keys(parts).length > 0) routes.set(r.name, parts);
  }

  return { from, upstreams, routes, policies, redis, overload: same(from.plan.server.shedding, next.server.shedding) };
}

export function sameUpstreamIdentity(a: UpstreamPlan, b: UpstreamPlan): boolean {
  if (a.name !== b.name || a.endpoints.length !== b.endpoints.length) return false;
  return a.endpoints.every((e, i) => e.url === b.endpoints[i]!.url && e.weight === b.endpoints[i]!.weight);
}

type Parts<T> = { -readonly [K in keyof T]?: T[K] };

function upstreamParts(old: UpstreamRuntime, up: UpstreamPlan): Partial<UpstreamState> {
  const p = old.plan;
  const parts: Parts<UpstreamState> = {
    endpointLatency: old.endpointLatency,
    retriesByReason: old.retriesByReason,
    retriesSkippedForDeadline: old.retriesSkippedForDeadline,
  };
  if (same(p.healthCheck, up.healthCheck) && same(p.outlier, up.outlier)) {
    parts.health = old.health;
    if (p.balance === up.balance && same(p.hashKey, up.hashKey)) parts.balancer = old.balancer;
  }
  if (same(p.breaker, up.breaker)) {
    parts.breaker = old.breaker;
    parts.inFlightCap = old.inFlightCap;
  }
  if (same(p.retryBudget, up.retryBudget)) parts.retryBudget = old.retryBudget;
  if (same(p.concurrency, up.concurrency)) parts.concurrency = old.concurrency;
  return parts;
}

function routeParts(old: RouteRuntime, r: RoutePlan, keptPolicies: ReadonlySet<string>, upstreamKept: boolean): Partial<RouteState> {
  const p = old.plan;
  const parts: Parts<RouteState> = {};
  if (same(p.rateLimits, r.rateLimits) && r.rateLimits.every((x) => keptPolicies.has(x.name))) parts.rateLimits = old.rateLimits;
  if (same(p.concurrency, r.concurrency)) parts.concurrency = old.concurrency;
  if (same(p.hedge, r.hedge)) parts.hedgeBudget = old.hedgeBudget;
  if (upstreamKept && same(p.hedge, r.hedge) && (p.retry === null) === (r.retry === null)) parts.latency = old.latency;
  return parts;
}

/** For the reload's log line and admin answer: what kept its state, by name. */
export interface CarrySummary {
  /** Upstreams whose identity held (some of their state kept). */
  readonly upstreams: readonly string[];
  /** Routes that kept some state. */
  readonly routes: readonly string[];
  /** Rate-limit policies whose key tables carried on. */
  readonly policies: readonly string[];
}

export function summarizeCarry(c: CarriedState): CarrySummary {
  return { upstreams: [...c.upstreams.keys()], routes: [...c.routes.keys()], policies: [...c.policies] };
}
