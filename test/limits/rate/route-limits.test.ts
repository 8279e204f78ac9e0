import { test, expect } from "bun:test";
import { LocalRateLimiter } from "../../../src/limits/rate/local-limiter.ts";
import { RouteRateLimits } from "../../../src/limits/rate/route-limits.ts";
import type { KeyedLimiter, RatePolicyPlan, RateVerdict } from "../../../src/limits/types.ts";

function plan(name: string, count: number, periodMs: number, burst: number): RatePolicyPlan {
  return { name, count, periodMs, burst, key: [{ kind: "clientIp" }], maxKeys: 100, shared: null };
}

/** A shared policy whose store is down in "closed" mode: rejects everything. */
class StoreDownLimiter implements KeyedLimiter {
  readonly size = 0;
  consumed = 0;
  constructor(readonly policy: RatePolicyPlan) {}
  check(_key: string, _now: number, out: RateVerdict): boolean {
    out.remaining = 0;
    out.resetSeconds = 5;
    out.retryAfterSeconds = 5;
    out.storeDown = true;
    return false;
  }
  consume(): void {
    this.consumed++;
  }
  close(): void {}
}

test("admits only when every policy passes, and consumes only then", () => {
  const perSecond = new LocalRateLimiter(plan("per-second", 10, 1000, 10));
  const perMinute = new LocalRateLimiter(plan("per-minute", 3, 60_000, 3));
  const route = new RouteRateLimits([perSecond, perMinute]);
  expect(route.policyHeader).toBe('"per-second";q=10;w=1, "per-minute";q=3;w=60');
  const keys = ["1.2.3.4", "1.2.3.4"];

  expect(route.admit(keys, 0)).toBe(true);
  expect(route.rateLimitHeader()).toBe('"per-second";r=9;t=1, "per-minute";r=2;t=20');
  expect(route.retryAfterSeconds()).toBe(0);
  expect(route.rejectedBy).toBe(-1);
  expect(route.rejectingPolicyName()).toBeNull();
  expect(route.admit(keys, 0)).toBe(true);
  expect(route.admit(keys, 0)).toBe(true);

  expect(route.admit(keys, 0)).toBe(false);
  expect(route.rejectedBy).toBe(1);
  expect(route.rejectingPolicyName()).toBe("per-minute");
  expect(route.rejected(0)).toBe(false);
  expect(route.rejected(1)).toBe(true);
  expect(route.retryAfterSeconds()).toBe(20);
  expect(route.storeDown()).toBe(false);
  // per-second still has 7: the rejected request took nothing from it.
  expect(route.rateLimitHeader()).toBe('"per-second";r=7;t=1, "per-minute";r=0;t=60');
  expect(Array.from(route.allowed)).toEqual([3, 3]);
  expect(Array.from(route.limited)).toEqual([0, 1]);

  // Another client has its own buckets.
  expect(route.admit(["5.6.7.8", "5.6.7.8"], 0)).toBe(true);
  expect(route.admit(keys, 20_000)).toBe(true);
});

test("Retry-After is the longest wait among the rejecting policies", () => {
  const a = new LocalRateLimiter(plan("a", 1, 2000, 1));
  const b = new LocalRateLimiter(plan("b", 1, 10_000, 1));
  const route = new RouteRateLimits([a, b]);
  expect(route.admit(["k", "k"], 0)).toBe(true);
  expect(route.admit(["k", "k"], 0)).toBe(false);
  expect(route.rejectedBy).toBe(0);
  expect(route.retryAfterSeconds()).toBe(10);
  expect(Array.from(route.limited)).toEqual([1, 1]);
});

test("a shared policy rejecting because its store is down is reported", () => {
  const local = new LocalRateLimiter(plan("local", 10, 1000, 10));
  const shared = new StoreDownLimiter(plan("shared", 100, 1000, 100));
  const route = new RouteRateLimits([local, shared]);
  expect(route.admit(["k", "k"], 0)).toBe(false);
  expect(route.storeDown()).toBe(true);
  expect(route.retryAfterSeconds()).toBe(5);
  expect(shared.consumed).toBe(0);
  expect(local.size).toBe(0);
});

test("no policies: everything passes", () => {
  const route = new RouteRateLimits([]);
  expect(route.admit([], 0)).toBe(true);
  expect(route.policyHeader).toBe("");
  expect(route.rateLimitHeader()).toBe("");
});
