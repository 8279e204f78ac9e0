// /metrics families for every limit (docs/operations.md, "Limits"): rate limits by route and
// policy, key tables, concurrency limiters by route and upstream, load shedding. All are read at
// scrape time from the counters the limiters keep; nothing is added to the request path.
// `current` returns the runtime in force, so the families follow a reloaded plan.

import type { ConcurrencyLimiter } from "../limits/concurrency/concurrency-limiter.ts";
import { SharedRateLimiter } from "../limits/shared/shared-limiter.ts";
import type { GatewayRuntime } from "../pipeline/gateway-runtime.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";

export function registerLimitMetrics(metrics: GatewayMetrics, current: () => GatewayRuntime): void {
  const rt = current();
  rt.routes.forEach((r, ri) => {
    r.plan.rateLimits.forEach((p, pi) => {
      const labels = { route: r.plan.name, policy: p.name };
      metrics.addCounter("keel_ratelimit_allowed_total", "Requests every rate-limit policy of the route admitted, by route and policy.", () => current().routes[ri]?.rateLimits?.allowed[pi] ?? 0, labels);
      metrics.addCounter("keel_ratelimit_limited_total", "Requests a rate-limit policy rejected (429), by route and policy.", () => current().routes[ri]?.rateLimits?.limited[pi] ?? 0, labels);
    });
  });
  for (const limiter of rt.limiters.all) {
    const name = limiter.policy.name;
    const labels = { policy: name };
    const find = () => current().limiters.find(name);
    metrics.addGauge("keel_ratelimit_keys", "Keys held by a rate-limit policy's table (at most its maxKeys).", () => find()?.size ?? 0, labels);
    metrics.addGauge("keel_ratelimit_max_keys", "Capacity of a rate-limit policy's key table.", () => find()?.policy.maxKeys ?? 0, labels);
    if (limiter instanceof SharedRateLimiter) {
      const shared = () => find() as SharedRateLimiter | undefined;
      for (const [source, f] of [
        ["lease", (l: SharedRateLimiter) => l.leaseAdmitted],
        ["debt", (l: SharedRateLimiter) => l.debtAdmitted - l.creditAdmitted],
        ["credit", (l: SharedRateLimiter) => l.creditAdmitted],
        ["outage", (l: SharedRateLimiter) => l.outageAdmitted],
      ] as const) {
        metrics.addCounter("keel_ratelimit_shared_admitted_total", "Requests a shared policy admitted, by what decided: a Redis lease, the local fallback as debt charged to Redis later, credit of a low-rate key charged within 50 ms, or the fallback during a Redis outage (failureMode open).", () => {
          const l = shared();
          return l ? f(l) : 0;
        }, { ...labels, source });
      }
      metrics.addCounter("keel_ratelimit_store_down_rejected_total", "Requests a shared policy rejected because Redis was out (failureMode closed).", () => shared()?.storeDownRejected ?? 0, labels);
    }
    metrics.addCounter(
      "keel_ratelimit_evictions_total",
      "Keys dropped from a full table while still owing quota (their debt forgiven); idle keys are dropped for free and not counted.",
      () => (find() as { evictionsOfActiveKeys?: number } | undefined)?.evictionsOfActiveKeys ?? 0,
      labels,
    );
  }

  if (rt.limiters.store !== null) {
    const store = () => current().limiters.store;
    const n = (f: (s: NonNullable<ReturnType<typeof store>>) => number) => () => {
      const s = store();
      return s === null ? 0 : f(s);
    };
    metrics.addGauge("keel_ratelimit_redis_up", "1 while the Redis store of shared rate limits answers; 0 = shared policies run in their failure mode.", n((s) => (s.up ? 1 : 0)));
    metrics.addCounter("keel_ratelimit_lease_requests_total", "Keys' quota takes sent to Redis (in the background, batched).", n((s) => s.leaseRequests));
    metrics.addCounter("keel_ratelimit_redis_calls_total", "Redis script calls carrying those takes (up to 256 keys each).", n((s) => s.takeCalls));
    metrics.addCounter("keel_ratelimit_lease_refreshes_total", "Takes that refreshed a key's existing lease.", n((s) => s.leaseRefreshes));
    metrics.addCounter("keel_ratelimit_lease_tokens_total", "Requests' worth of quota granted by Redis.", n((s) => s.tokensGranted));
    metrics.addCounter("keel_ratelimit_redis_errors_total", "Failed Redis calls (connection errors, timeouts, error replies).", n((s) => s.redisErrors));
    metrics.addCounter("keel_ratelimit_redis_mode_switches_total", "Switches between shared mode and the failure mode.", n((s) => s.modeSwitches));
  }

  const limiters: { scope: string; name: string; read: () => ConcurrencyLimiter | null | undefined }[] = [];
  rt.routes.forEach((r, i) => {
    if (r.concurrency !== null) limiters.push({ scope: "route", name: r.plan.name, read: () => current().routes[i]?.concurrency });
  });
  rt.upstreams.forEach((u, i) => {
    if (u.concurrency !== null) limiters.push({ scope: "upstream", name: u.plan.name, read: () => current().upstreams[i]?.concurrency });
  });
  for (const { scope, name, read } of limiters) {
    const labels = { scope, name };
    const num = (f: (l: ConcurrencyLimiter) => number) => () => {
      const l = read();
      return l ? f(l) : 0;
    };
    metrics.addGauge("keel_concurrency_in_flight", "Requests holding a concurrency slot, by scope (route or upstream) and name.", num((l) => l.inFlight), labels);
    metrics.addGauge("keel_concurrency_queued", "Requests waiting for a concurrency slot.", num((l) => l.queued), labels);
    metrics.addGauge("keel_concurrency_limit", "Concurrency limit now (the adaptive one when adaptive).", num((l) => l.limit), labels);
    metrics.addCounter("keel_concurrency_admitted_total", "Requests given a concurrency slot.", num((l) => l.admitted), labels);
    for (const [reason, f] of [
      ["full", (l: ConcurrencyLimiter) => l.rejectedFull],
      ["timeout", (l: ConcurrencyLimiter) => l.rejectedTimeout],
      ["shed", (l: ConcurrencyLimiter) => l.shed],
      ["cancelled", (l: ConcurrencyLimiter) => l.cancelled],
    ] as const) {
      metrics.addCounter("keel_concurrency_rejected_total", "Requests refused a concurrency slot, by reason (full queue, queue timeout, CoDel shed, client left).", num(f), { ...labels, reason });
    }
    metrics.addCounter("keel_concurrency_queue_wait_seconds_sum", "Total queue wait of requests that got a slot from the queue.", num((l) => l.queueWaitMsSum / 1000), labels);
    metrics.addCounter("keel_concurrency_queue_wait_count", "Requests that got a slot from the queue.", num((l) => l.queueWaitCount), labels);
    metrics.addGauge("keel_concurrency_queue_wait_max_seconds", "Longest queue wait since the previous scrape.", num((l) => l.takeQueueWaitMaxMs() / 1000), labels);
  }

  metrics.addGauge("keel_shedding", "1 while new requests are shed because the event loop lags (see keel_problems_total{code=\"KEEL_OVERLOADED\"} for requests shed).", () => (current().overload.lagging ? 1 : 0));
  metrics.addGauge("keel_event_loop_lag_window_max_seconds", "Largest event-loop lag in the shedding detector's last 500 ms window.", () => current().overload.lastWindowMaxLagMs / 1000);
}
