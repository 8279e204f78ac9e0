import { test, expect, describe } from "bun:test";
import { LocalRateLimiter } from "../../../src/limits/rate/local-limiter.ts";
import { newVerdict, type RatePolicyPlan } from "../../../src/limits/types.ts";

function plan(over: Partial<RatePolicyPlan> = {}): RatePolicyPlan {
  return { name: "p", count: 100, periodMs: 1000, burst: 20, key: [{ kind: "clientIp" }], maxKeys: 1000, shared: null, ...over };
}

/** Offers one request every `everyMs` from t=0 for `durationMs`; returns how many passed. */
function offer(limiter: LocalRateLimiter, everyMs: number, durationMs: number, key = "k"): number {
  const v = newVerdict();
  let admitted = 0;
  for (let i = 0; i * everyMs < durationMs; i++) {
    const now = 1_000_000 + i * everyMs;
    if (limiter.check(key, now, v)) {
      limiter.consume(key, now);
      admitted++;
    }
  }
  return admitted;
}

describe("accuracy at twice the rate for 10 periods", () => {
  test.each([
    ["100/s burst 20", { count: 100, periodMs: 1000, burst: 20 }, 1, 5, 10_000, 1020],
    ["1000/h burst 50", { count: 1000, periodMs: 3_600_000, burst: 50 }, 1, 1800, 36_000_000, 10_050],
    ["3/s burst 2 (fractional interval)", { count: 3, periodMs: 1000, burst: 2 }, 1, 1000 / 6, 10_000, 32],
    ["70 per 3 s burst 5 (fractional interval and rate)", { count: 70, periodMs: 3000, burst: 5 }, 1, 3000 / 140, 10_000, 238.3],
    ["7/min burst 1", { count: 7, periodMs: 60_000, burst: 1 }, 1, 60_000 / 14, 600_000, 71],
    ["100/s burst 20 at scale 0.25", { count: 100, periodMs: 1000, burst: 20 }, 0.25, 20, 10_000, 255],
    ["6000/min burst 100 at scale 0.3", { count: 6000, periodMs: 60_000, burst: 100 }, 0.3, 1000 / 60, 10_000, 330],
  ] as const)("%s", (_name, rate, scale, everyMs, durationMs, expected) => {
    const admitted = offer(new LocalRateLimiter(plan(rate), scale), everyMs, durationMs);
    // ±2%, and at least ±1 where 2% is less than one request.
    expect(Math.abs(admitted - expected)).toBeLessThanOrEqual(Math.max(1, expected * 0.02));
  });
});

test("an idle key admits burst at once, then one per interval", () => {
  const l = new LocalRateLimiter(plan({ count: 10, periodMs: 1000, burst: 5 }));
  const v = newVerdict();
  const t0 = 5000;
  for (let i = 0; i < 5; i++) {
    expect(l.check("a", t0, v)).toBe(true);
    expect(v.remaining).toBe(4 - i);
    expect(v.retryAfterSeconds).toBe(0);
    l.consume("a", t0);
  }
  expect(l.check("a", t0, v)).toBe(false);
  expect(v.remaining).toBe(0);
  expect(v.retryAfterSeconds).toBe(1); // 100 ms, rounded up to whole seconds
  expect(v.resetSeconds).toBe(1); // 500 ms until full
  expect(l.check("a", t0 + 99, v)).toBe(false);
  expect(l.check("a", t0 + 100, v)).toBe(true);
  expect(v.remaining).toBe(0);
  // Other keys are untouched.
  expect(l.check("b", t0, v)).toBe(true);
  expect(v.remaining).toBe(4);
});

test("verdict fields for a slow rate", () => {
  const l = new LocalRateLimiter(plan({ count: 1000, periodMs: 3_600_000, burst: 2 })); // one per 3.6 s
  const v = newVerdict();
  expect(l.check("a", 0, v)).toBe(true);
  expect(v).toEqual({ remaining: 1, resetSeconds: 4, retryAfterSeconds: 0, storeDown: false });
  l.consume("a", 0);
  expect(l.check("a", 0, v)).toBe(true);
  expect(v).toEqual({ remaining: 0, resetSeconds: 8, retryAfterSeconds: 0, storeDown: false }); // 7.2 s
  l.consume("a", 0);
  expect(l.check("a", 1000, v)).toBe(false);
  // TAT is 7.2 s; one more may pass at 3.6 s (2.6 s from now); full at 7.2 s (6.2 s from now).
  expect(v).toEqual({ remaining: 0, resetSeconds: 7, retryAfterSeconds: 3, storeDown: false });
  expect(l.check("a", 3600, v)).toBe(true);
});

test("a rejected request consumes nothing; check alone never adds a key", () => {
  const l = new LocalRateLimiter(plan({ count: 1, periodMs: 1000, burst: 1 }));
  const v = newVerdict();
  expect(l.check("a", 0, v)).toBe(true);
  expect(l.size).toBe(0);
  l.consume("a", 0);
  for (let t = 0; t < 1000; t += 100) expect(l.check("a", t, v)).toBe(false);
  expect(l.check("a", 1000, v)).toBe(true);
});

test("scale keeps burst at least 1", () => {
  const l = new LocalRateLimiter(plan({ count: 10, periodMs: 1000, burst: 2 }), 0.1);
  expect(l.burst).toBe(1);
  expect(l.intervalMs).toBe(1000);
});

describe("bounded key table", () => {
  test("1,000,000 distinct keys, all still indebted: size stays at maxKeys", () => {
    const l = new LocalRateLimiter(plan({ count: 1, periodMs: 3_600_000, burst: 5, maxKeys: 10_000 }));
    const v = newVerdict();
    for (let i = 0; i < 1_000_000; i++) {
      const key = "k" + i;
      if (l.check(key, 1000, v)) l.consume(key, 1000);
    }
    expect(l.size).toBe(10_000);
    expect(l.evictions).toBe(990_000);
    expect(l.evictionsOfActiveKeys).toBe(990_000);
  });

  test("keys whose bucket is full again are dropped first, for free", () => {
    const l = new LocalRateLimiter(plan({ count: 100, periodMs: 1000, burst: 1, maxKeys: 1000 })); // 10 ms interval
    const v = newVerdict();
    let now = 0;
    for (let i = 0; i < 200_000; i++) {
      now += 0.1; // 10,000 new keys a second; each is idle again 10 ms after its request
      const key = "k" + i;
      if (l.check(key, now, v)) l.consume(key, now);
      expect(l.size).toBeLessThanOrEqual(1000);
    }
    expect(l.size).toBeLessThanOrEqual(1000);
    expect(l.evictionsOfActiveKeys).toBe(0);
    expect(l.evictions).toBe(200_000 - l.size);
  });

  test("a heavily indebted key outlives a flood of light ones", () => {
    const l = new LocalRateLimiter(plan({ count: 1, periodMs: 1000, burst: 10, maxKeys: 100 }));
    const v = newVerdict();
    for (let i = 0; i < 10; i++) if (l.check("heavy", 0, v)) l.consume("heavy", 0);
    expect(l.check("heavy", 0, v)).toBe(false);
    for (let i = 0; i < 10_000; i++) if (l.check("f" + i, 0, v)) l.consume("f" + i, 0);
    expect(l.size).toBe(100);
    expect(l.check("heavy", 0, v)).toBe(false); // its debt was not forgiven
  });

  test("an evicted key comes back with a full bucket (its debt is forgiven)", () => {
    const l = new LocalRateLimiter(plan({ count: 1, periodMs: 1000, burst: 1, maxKeys: 2 }));
    const v = newVerdict();
    l.consume("a", 0);
    expect(l.check("a", 0, v)).toBe(false);
    l.consume("b", 0);
    l.consume("c", 0); // table full, nothing idle: the least indebted of the oldest goes ("a")
    expect(l.evictionsOfActiveKeys).toBe(1);
    expect(l.check("a", 0, v)).toBe(true);
  });

  test("once a flood is over, new keys drain the idle ones", () => {
    const l = new LocalRateLimiter(plan({ count: 1, periodMs: 1000, burst: 1, maxKeys: 10_000 }));
    for (let i = 0; i < 10_000; i++) l.consume("flood" + i, 0);
    expect(l.size).toBe(10_000);
    // A second later every flood key is idle; each new key drops the idle ones the hand passes.
    for (let i = 0; i < 5000; i++) l.consume("later" + i, 1000 + i);
    expect(l.size).toBeLessThan(6000);
    expect(l.evictionsOfActiveKeys).toBe(0);
  });
});

test("consume after check uses what check found, and stays right when calls interleave", () => {
  const l = new LocalRateLimiter(plan({ count: 1, periodMs: 1000, burst: 2, maxKeys: 2 }));
  const v = newVerdict();
  expect(l.check("a", 0, v)).toBe(true);
  expect(l.check("b", 0, v)).toBe(true);
  l.consume("a", 0); // not the last key checked
  l.consume("b", 0);
  l.consume("b", 0); // twice after one check
  expect(l.check("b", 0, v)).toBe(false);
  expect(l.check("a", 0, v)).toBe(true);
  expect(v.remaining).toBe(0);
  // "c" evicts "a" (least debt) between check and consume of "a".
  l.consume("c", 0);
  expect(l.size).toBe(2);
  l.consume("a", 0);
  expect(l.size).toBe(2);
  expect(l.evictionsOfActiveKeys).toBe(2);
});
