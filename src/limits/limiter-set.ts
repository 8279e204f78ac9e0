// One limiter per policy name, built on first use: a named policy that several routes refer to is
// one key table (one quota) for all of them; an inline policy is named after its route and so is
// its route's own. Shared policies lease their quota from one Redis store per gateway
// (src/limits/shared/); the store connects in the background and `ready()` says when it is up.

import type { RedisPlan } from "../config/plan.ts";
import { LocalRateLimiter } from "./rate/local-limiter.ts";
import { LeaseStores } from "./shared/lease-stores.ts";
import type { RedisLeaseStore } from "./shared/redis-lease-store.ts";
import { SharedRateLimiter } from "./shared/shared-limiter.ts";
import type { KeyedLimiter, RatePolicyPlan } from "./types.ts";

export class LimiterSet {
  private readonly byName = new Map<string, KeyedLimiter>();
  private stores: LeaseStores | null;

  /**
   * `takeStoresFrom`: on a reload with unchanged Redis settings, the outgoing set's Redis
   * connection moves here (closing that set then leaves it open), so shared policies never wait
   * for a new connect. `localScale` (0..1] scales local policies' rate and burst: each of N
   * worker processes enforces 1/N of a policy (src/server/workers).
   */
  constructor(readonly redis: RedisPlan | null, takeStoresFrom: LimiterSet | null = null, readonly localScale = 1) {
    if (redis !== null && takeStoresFrom !== null && takeStoresFrom.stores !== null) {
      this.stores = takeStoresFrom.stores;
      takeStoresFrom.stores = null;
    } else {
      this.stores = redis === null ? null : new LeaseStores({ prefix: redis.keyPrefix, connectTimeoutMs: redis.connectTimeoutMs });
    }
  }

  /** A reload keeps an unchanged policy's limiter (its key table): moved from `from`, whose close() then leaves it be. */
  adopt(from: LimiterSet, name: string): void {
    const limiter = from.byName.get(name);
    if (limiter === undefined) return;
    from.byName.delete(name);
    this.byName.set(name, limiter);
  }

  limiterFor(policy: RatePolicyPlan): KeyedLimiter {
    let limiter = this.byName.get(policy.name);
    if (limiter === undefined) {
      // semantic.ts refuses a shared policy without a redis section; a miss here is a bug in the checks.
      if (policy.shared !== null && (this.stores === null || this.redis === null)) throw new Error(`policy ${policy.name} is shared but the plan has no redis`);
      limiter = policy.shared !== null ? new SharedRateLimiter(policy, this.stores!.get(this.redis!.url)) : new LocalRateLimiter(policy, this.localScale);
      this.byName.set(policy.name, limiter);
    }
    return limiter;
  }

  find(name: string): KeyedLimiter | undefined {
    return this.byName.get(name);
  }

  get all(): Iterable<KeyedLimiter> {
    return this.byName.values();
  }

  /** The Redis store shared limits use, if any (for metrics). */
  get store(): RedisLeaseStore | null {
    if (this.stores === null) return null;
    const first = this.stores.all().next();
    return first.done ? null : first.value;
  }

  /** True at once without shared limits; else once Redis answers, or false after timeoutMs (it keeps trying). */
  ready(timeoutMs: number): Promise<boolean> {
    return this.stores === null ? Promise.resolve(true) : this.stores.ready(timeoutMs);
  }

  close(): void {
    for (const l of this.byName.values()) l.close();
    this.stores?.close();
  }
}
