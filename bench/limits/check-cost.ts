// Rough cost of check() + consume() on keys holding a Redis lease, next to LocalRateLimiter: the
// shared limiter must be as cheap as the local one on the request path. Prints ns/op.
//   bun bench/limits/check-cost.ts        (starts its own redis-server; a few seconds)
import { LocalRateLimiter } from "../../src/limits/rate/local-limiter.ts";
import { RedisLeaseStore } from "../../src/limits/shared/redis-lease-store.ts";
import { SharedRateLimiter } from "../../src/limits/shared/shared-limiter.ts";
import { newVerdict, type KeyedLimiter, type RatePolicyPlan } from "../../src/limits/types.ts";
import { startRedis } from "../../test/support/redis.ts";

// A rate nothing here can exhaust, so every op is an admitted request on a lease.
const policy = (name: string): RatePolicyPlan => ({
  name,
  count: 1e9,
  periodMs: 1000,
  burst: 1e6,
  key: [],
  maxKeys: 100_000,
  shared: { failureMode: "open", localShare: 0.5, leaseTtlMs: 2000 },
});

const CHUNK = 20_000;

/** ns per check+consume over `chunks` synchronous chunks; the event loop runs between chunks (refills land). */
async function measure(l: KeyedLimiter, keys: string[], chunks: number): Promise<number> {
  const v = newVerdict();
  let ns = 0;
  let ops = 0;
  let k = 0;
  for (let c = 0; c < chunks; c++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < CHUNK; i++) {
      const key = keys[k]!;
      if (++k === keys.length) k = 0;
      const now = performance.now();
      if (l.check(key, now, v)) l.consume(key, now);
    }
    ns += Bun.nanoseconds() - t0;
    ops += CHUNK;
    await Bun.sleep(0);
  }
  return ns / ops;
}

const redis = await startRedis();
try {
  for (const nKeys of [1, 1000, 10_000]) {
    const keys = Array.from({ length: nKeys }, (_, i) => `client-${i}`);
    const store = new RedisLeaseStore(redis.url);
    await store.ready(2000);
    const shared = new SharedRateLimiter(policy(`bench-${nKeys}`), store);
    const local = new LocalRateLimiter(policy(`bench-local-${nKeys}`));
    try {
      // Warm up: leases grow to the keys' demand; the JIT settles.
      await measure(shared, keys, 50);
      await measure(local, keys, 50);
      const lease0 = shared.leaseAdmitted;
      const debt0 = shared.debtAdmitted;
      const rounds: string[] = [];
      let sharedBest = Infinity;
      let localBest = Infinity;
      for (let r = 0; r < 5; r++) {
        const s = await measure(shared, keys, 50);
        const l = await measure(local, keys, 50);
        sharedBest = Math.min(sharedBest, s);
        localBest = Math.min(localBest, l);
        rounds.push(`${s.toFixed(0)}/${l.toFixed(0)}`);
      }
      const onLease = (shared.leaseAdmitted - lease0) / (shared.leaseAdmitted - lease0 + shared.debtAdmitted - debt0);
      console.log(
        `${nKeys} key(s): shared ${sharedBest.toFixed(1)} ns/op, local ${localBest.toFixed(1)} ns/op (best of 5; rounds shared/local ${rounds.join(" ")});` +
          ` ${(onLease * 100).toFixed(2)}% on leases, ${store.leaseRequests} takes in ${store.takeCalls} calls`,
      );
    } finally {
      shared.close();
      local.close();
      store.close();
    }
  }
} finally {
  await redis.stop();
}
