// SharedRateLimiter on a real redis-server: three instances (three stores, three connections, one
// process) sharing one policy, driven with an offered load in real time. The admitted total must
// stay within ±5% of rate × time + burst; a killed Redis switches every instance to the failure
// mode within 1 s and a restarted one brings the shared limit back; stale leases are never spent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisLeaseStore } from "../../../src/limits/shared/redis-lease-store.ts";
import { SharedRateLimiter } from "../../../src/limits/shared/shared-limiter.ts";
import { LocalRateLimiter } from "../../../src/limits/rate/local-limiter.ts";
import { newVerdict, type FailureMode, type KeyedLimiter, type RatePolicyPlan } from "../../../src/limits/types.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

let policies = 0;

function sharedPolicy(opts: { count?: number; burst?: number; maxKeys?: number; failureMode?: FailureMode; localShare?: number; leaseTtlMs?: number } = {}): RatePolicyPlan {
  return {
    name: `shared-${++policies}`, // a fresh namespace per test: no bucket left from an earlier one
    count: opts.count ?? 300,
    periodMs: 1000,
    burst: opts.burst ?? 30,
    key: [],
    maxKeys: opts.maxKeys ?? 1000,
    shared: { failureMode: opts.failureMode ?? "open", localShare: opts.localShare ?? 0.5, leaseTtlMs: opts.leaseTtlMs ?? 1000 },
  };
}

interface Cluster {
  stores: RedisLeaseStore[];
  limiters: SharedRateLimiter[];
  close(): void;
}

/** n instances: each its own store (own connection), same policy. */
async function cluster(policy: RatePolicyPlan, n = 3): Promise<Cluster> {
  const stores = Array.from({ length: n }, () => new RedisLeaseStore(redis.url));
  for (const s of stores) expect(await s.ready(2000)).toBe(true);
  const limiters = stores.map((s) => new SharedRateLimiter(policy, s));
  return {
    stores,
    limiters,
    close() {
      for (const l of limiters) l.close();
      for (const s of stores) s.close();
    },
  };
}

interface Tally {
  offered: number;
  admitted: number;
  storeDown: number;
  /** performance.now() of the first and the last request offered. */
  first: number;
  last: number;
}

/**
 * Offers `perSecond` requests in total, round-robin over the limiters, for `ms` of real time, each
 * decided with check + consume as the gateway does. The event loop runs between rounds (1 ms
 * sleeps), so leases refill in the background as they would in a gateway. `onRound` may watch.
 */
async function drive(limiters: KeyedLimiter[], perSecond: number, ms: number, onRound?: (now: number) => void, key = "k"): Promise<Tally> {
  const v = newVerdict();
  const t: Tally = { offered: 0, admitted: 0, storeDown: 0, first: 0, last: 0 };
  const t0 = performance.now();
  t.first = t0;
  for (;;) {
    const now = performance.now();
    if (now - t0 >= ms) break;
    const due = Math.floor(((now - t0) * perSecond) / 1000) + 1;
    while (t.offered < due) {
      const l = limiters[t.offered % limiters.length]!;
      if (l.check(key, now, v)) {
        l.consume(key, now);
        t.admitted++;
      } else if (v.storeDown) {
        t.storeDown++;
      }
      t.offered++;
      t.last = now;
    }
    onRound?.(now);
    await Bun.sleep(1);
  }
  return t;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("SharedRateLimiter, three instances", () => {
  test("offered 900/s against 300/s burst 30: admitted within ±5% of rate × time + burst", async () => {
    const policy = sharedPolicy();
    const c = await cluster(policy);
    try {
      const t = await drive(c.limiters, 900, 2000);
      const expected = (policy.count * (t.last - t.first)) / 1000 + policy.burst;
      const lease = sum(c.limiters.map((l) => l.leaseAdmitted));
      const debt = sum(c.limiters.map((l) => l.debtAdmitted));
      const takes = sum(c.stores.map((s) => s.leaseRequests));
      console.log(
        `offered ${t.offered}, admitted ${t.admitted} (expected ${expected.toFixed(0)}; ${((t.admitted / expected - 1) * 100).toFixed(2)}%),` +
          ` per instance ${c.limiters.map((l) => l.leaseAdmitted + l.debtAdmitted).join("/")}, on leases ${lease}, as debt ${debt}, takes ${takes}`,
      );
      expect(Math.abs(t.admitted / expected - 1)).toBeLessThanOrEqual(0.05);
      expect(debt).toBeLessThan(t.admitted * 0.05);
      expect(sum(c.stores.map((s) => s.redisErrors))).toBe(0);
    } finally {
      c.close();
    }
  }, 15_000);

  test("offered below the limit: everything passes, almost all on leases", async () => {
    const policy = sharedPolicy();
    const c = await cluster(policy);
    try {
      const t = await drive(c.limiters, 240, 1000);
      expect(t.admitted).toBe(t.offered);
      const lease = sum(c.limiters.map((l) => l.leaseAdmitted));
      const takes = sum(c.stores.map((s) => s.leaseRequests));
      console.log(`offered ${t.offered} at 240/s: admitted ${t.admitted}, on leases ${lease}, takes ${takes}`);
      expect(lease).toBeGreaterThan(t.admitted * 0.9);
      // Batches, not one take per request.
      expect(takes).toBeLessThan(t.offered / 3);
    } finally {
      c.close();
    }
  }, 10_000);

  test("failure mode closed: Redis killed → storeDown rejections within 1 s; restarted → shared limit again", async () => {
    const policy = sharedPolicy({ failureMode: "closed" });
    const c = await cluster(policy);
    try {
      await drive(c.limiters, 900, 600);
      const killedAt = performance.now();
      let allDownAt = 0;
      const killing = redis.stop();
      // Every instance must answer storeDown within 1 s of the kill.
      const outage = await drive(c.limiters, 900, 1000, (now) => {
        if (allDownAt === 0 && c.stores.every((s) => !s.up)) allDownAt = now;
      });
      await killing;
      expect(allDownAt).toBeGreaterThan(0);
      console.log(`closed: all instances down ${(allDownAt - killedAt).toFixed(0)} ms after the kill; outage: offered ${outage.offered}, admitted ${outage.admitted}, storeDown ${outage.storeDown}`);
      expect(allDownAt - killedAt).toBeLessThan(1000);
      // Before the switch a lease may still pass a few requests; after it, nothing passes.
      expect(outage.admitted).toBeLessThan(policy.burst * 3);
      expect(outage.storeDown).toBeGreaterThan(outage.offered * 0.9);

      const restartedAt = performance.now();
      await redis.restart();
      let firstUpAt = 0;
      let allUpAt = 0;
      const after = await drive(c.limiters, 900, 2000, (now) => {
        if (firstUpAt === 0 && c.stores.some((s) => s.up)) firstUpAt = now;
        if (allUpAt === 0 && c.stores.every((s) => s.up)) allUpAt = now;
      });
      expect(allUpAt).toBeGreaterThan(0);
      // The shared limit holds again (the new server starts with a full bucket): instances that came
      // back earlier may admit from the first one's return, so the bounds are taken from both moments.
      const atLeast = (policy.count * (after.last - allUpAt)) / 1000 + policy.burst;
      const atMost = (policy.count * (after.last - firstUpAt)) / 1000 + policy.burst;
      console.log(`closed: instances up ${(firstUpAt - restartedAt).toFixed(0)}–${(allUpAt - restartedAt).toFixed(0)} ms after the restart began; then admitted ${after.admitted} (expected ${atLeast.toFixed(0)}–${atMost.toFixed(0)})`);
      expect(after.admitted).toBeGreaterThanOrEqual(atLeast * 0.9);
      expect(after.admitted).toBeLessThanOrEqual(atMost * 1.1);
    } finally {
      c.close();
      if (!redis.running) await redis.restart();
    }
  }, 20_000);

  test("failure mode open: Redis killed → local limits at the share, no storeDown; restarted → shared limit again", async () => {
    const policy = sharedPolicy({ failureMode: "open", localShare: 0.5 });
    const c = await cluster(policy);
    try {
      await drive(c.limiters, 900, 600);
      const killedAt = performance.now();
      let allDownAt = 0;
      const killing = redis.stop();
      const outage = await drive(c.limiters, 900, 1000, (now) => {
        if (allDownAt === 0 && c.stores.every((s) => !s.up)) allDownAt = now;
      });
      await killing;
      expect(allDownAt - killedAt).toBeLessThan(1000);
      expect(outage.storeDown).toBe(0);
      const local = sum(c.limiters.map((l) => l.outageAdmitted));
      // Each instance alone: 150/s and a local burst of 15, after the switch.
      const localSecs = (outage.last - allDownAt) / 1000;
      const expectedLocal = 3 * (policy.count * 0.5 * localSecs + Math.floor(policy.burst * 0.5));
      console.log(`open: down after ${(allDownAt - killedAt).toFixed(0)} ms; outage admitted ${outage.admitted} (locally ${local}, expected ≈ ${expectedLocal.toFixed(0)})`);
      expect(local).toBeGreaterThan(expectedLocal * 0.9);
      expect(local).toBeLessThan(expectedLocal * 1.1);

      await redis.restart();
      let allUpAt = 0;
      const before = sum(c.limiters.map((l) => l.leaseAdmitted));
      const after = await drive(c.limiters, 900, 1000, (now) => {
        if (allUpAt === 0 && c.stores.every((s) => s.up)) allUpAt = now;
      });
      expect(allUpAt).toBeGreaterThan(0);
      // Back on leases: well over what the local fallback's burst alone could admit.
      expect(sum(c.limiters.map((l) => l.leaseAdmitted))).toBeGreaterThan(before + 100);
      console.log(`open: after the restart offered ${after.offered}, admitted ${after.admitted}`);
    } finally {
      c.close();
      if (!redis.running) await redis.restart();
    }
  }, 20_000);
});

describe("SharedRateLimiter, leases", () => {
  test("leased tokens unused for leaseTtlMs are dropped, never spent late", async () => {
    const policy = sharedPolicy({ count: 100, burst: 20, leaseTtlMs: 300 });
    const c = await cluster(policy, 2);
    const [a, b] = c.limiters as [SharedRateLimiter, SharedRateLimiter];
    try {
      // A is busy for a moment, below the limit, and ends holding a lease.
      await drive([a], 60, 250);
      const held = (a as unknown as { table: Map<string, { tokens: number }> }).table.get("k")!.tokens;
      expect(held).toBeGreaterThan(0);
      // B drains the global bucket while A is idle past its lease TTL.
      await drive([b], 400, 400);
      const admittedBefore = a.leaseAdmitted;
      const v = newVerdict();
      const now = performance.now();
      const ok = a.check("k", now, v);
      if (ok) a.consume("k", now);
      expect(a.leaseAdmitted).toBe(admittedBefore); // not from the stale lease
      expect(a.tokensExpired).toBeGreaterThanOrEqual(held);
    } finally {
      c.close();
    }
  }, 10_000);

  test("an instance that dies holding a lease costs the others at most that lease", async () => {
    const policy = sharedPolicy({ count: 300, burst: 30, leaseTtlMs: 1000 });
    const c = await cluster(policy, 2);
    const [a, b] = c.limiters as [SharedRateLimiter, SharedRateLimiter];
    try {
      await drive([a], 150, 300);
      const held = (a as unknown as { table: Map<string, { tokens: number }> }).table.get("k")!.tokens;
      // A dies: its connection goes away with the lease, nothing is returned.
      c.stores[0]!.close();
      const t = await drive([b], 900, 1500);
      const expected = (policy.count * (t.last - t.first)) / 1000;
      console.log(`dead instance held ${held} tokens; the survivor admitted ${t.admitted} in ${(t.last - t.first).toFixed(0)} ms (rate × time = ${expected.toFixed(0)})`);
      expect(t.admitted).toBeGreaterThanOrEqual(expected - held - expected * 0.05);
      expect(t.admitted).toBeLessThanOrEqual(expected + policy.burst + expected * 0.05);
    } finally {
      c.close();
    }
  }, 10_000);

  test("a key seen for the first time passes at once (debt), and the debt is charged", async () => {
    const policy = sharedPolicy({ count: 10, burst: 10 });
    const c = await cluster(policy, 1);
    const l = c.limiters[0]!;
    try {
      const v = newVerdict();
      let passed = 0;
      const now = performance.now();
      for (let i = 0; i < 4; i++) {
        if (l.check("fresh", now, v)) {
          l.consume("fresh", now);
          passed++;
        }
      }
      // The local fallback at share 0.5 has a burst of 5: all 4 pass before Redis has answered.
      expect(passed).toBe(4);
      expect(l.debtAdmitted).toBe(4);
      await Bun.sleep(20);
      // Charged 4 in Redis; 1 granted to the lease: 5 left globally.
      let more = 0;
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        if (l.check("fresh", t, v)) {
          l.consume("fresh", t);
          more++;
        }
        await Bun.sleep(2);
      }
      // 10 in total over ~50 ms, plus at most one refill.
      expect(passed + more).toBeGreaterThanOrEqual(10);
      expect(passed + more).toBeLessThanOrEqual(11);
    } finally {
      c.close();
    }
  });

  test("the lease table stays within maxKeys under a flood of distinct keys", async () => {
    const policy = sharedPolicy({ count: 1000, burst: 10, maxKeys: 50 });
    const c = await cluster(policy, 1);
    const l = c.limiters[0]!;
    try {
      const v = newVerdict();
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 100; i++) {
          const key = `ip-${round}-${i}`;
          const now = performance.now();
          if (l.check(key, now, v)) l.consume(key, now);
        }
        expect(l.size).toBeLessThanOrEqual(50);
        await Bun.sleep(5);
      }
      expect(l.evictions).toBeGreaterThan(900);
      expect(l.fallback.size).toBeLessThanOrEqual(50);
    } finally {
      c.close();
    }
  });

  test("RateLimit fields from a lease: remaining counts down, reset within the bucket's refill time", async () => {
    const policy = sharedPolicy({ count: 10, burst: 10 });
    const c = await cluster(policy, 1);
    const l = c.limiters[0]!;
    try {
      const v = newVerdict();
      // Let a lease arrive.
      let now = performance.now();
      l.check("f", now, v);
      l.consume("f", now);
      await Bun.sleep(20);
      const seen: number[] = [];
      for (let i = 0; i < 15; i++) {
        now = performance.now();
        const ok = l.check("f", now, v);
        if (ok) l.consume("f", now);
        seen.push(ok ? v.remaining : -1);
        expect(v.resetSeconds).toBeLessThanOrEqual(2);
        if (!ok) {
          expect(v.remaining).toBe(0);
          expect(v.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(v.storeDown).toBe(false);
        }
        await Bun.sleep(1);
      }
      // 10 (burst) in all, then rejections; remaining never grows while draining.
      const admitted = seen.filter((r) => r >= 0);
      expect(admitted.length + 1).toBeGreaterThanOrEqual(10);
      expect(admitted.length + 1).toBeLessThanOrEqual(11);
      for (let i = 1; i < admitted.length; i++) expect(admitted[i]!).toBeLessThanOrEqual(admitted[i - 1]!);
    } finally {
      c.close();
    }
  });

  test("the fallback factory is injectable", async () => {
    const made: Array<[string, number]> = [];
    const store = new RedisLeaseStore(redis.url);
    await store.ready(2000);
    const policy = sharedPolicy({ localShare: 0.25 });
    const l = new SharedRateLimiter(policy, store, (p, scale) => {
      made.push([p.name, scale]);
      return new LocalRateLimiter(p, scale);
    });
    expect(made).toEqual([[policy.name, 0.25]]);
    l.close();
    store.close();
  });
});

describe("SharedRateLimiter, credit for low-rate keys", () => {
  test("many keys far below their limit: admitted on credit, charged in a few multi-key calls", async () => {
    const policy = sharedPolicy({ count: 100, burst: 100, maxKeys: 1000 });
    const c = await cluster(policy, 1);
    const l = c.limiters[0]!;
    const store = c.stores[0]!;
    try {
      const v = newVerdict();
      let admitted = 0;
      // 500 keys, each seen every ~200 ms (5/s, 1 per 200 ms horizon) for 3 s.
      for (let round = 0; round < 15; round++) {
        for (let i = 0; i < 500; i++) {
          const now = performance.now();
          if (l.check(`ip-${i}`, now, v)) {
            l.consume(`ip-${i}`, now);
            admitted++;
          }
        }
        await Bun.sleep(200);
      }
      await Bun.sleep(100); // the last charge
      console.log(`credit: admitted ${admitted} of 7500 (on leases ${l.leaseAdmitted}, on credit ${l.creditAdmitted}); takes ${store.leaseRequests} in ${store.takeCalls} calls`);
      expect(admitted).toBe(7500);
      expect(l.creditAdmitted).toBeGreaterThan(7500 * 0.5);
      expect(store.takeCalls).toBeLessThan(store.leaseRequests / 50);
      expect(store.redisErrors).toBe(0);
    } finally {
      c.close();
    }
  }, 15_000);
});
