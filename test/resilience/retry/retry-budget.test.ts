import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RetryBudget } from "../../../src/resilience/retry/retry-budget.ts";
import type { RetryBudgetPlan } from "../../../src/resilience/types.ts";

function budget(over: Partial<RetryBudgetPlan> = {}): RetryBudget {
  return new RetryBudget({ ratio: 0.2, minPerSecond: 1, windowMs: 10_000, ...over });
}

describe("RetryBudget", () => {
  test("ratio: five requests pay for one retry, exactly (no float shortfall)", () => {
    const b = budget({ minPerSecond: 0 });
    for (let i = 0; i < 4; i++) b.onRequest(0);
    expect(b.tryRetry(0)).toBe(false);
    b.onRequest(0);
    expect(b.tryRetry(0)).toBe(true);
    expect(b.tryRetry(0)).toBe(false);
    expect([b.retriesAllowed, b.retriesRefused]).toEqual([1, 2]);
  });

  test("the floor lets a trickle through with no traffic: minPerSecond × window seconds per window", () => {
    const b = budget({ minPerSecond: 2, windowMs: 5000 });
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (b.tryRetry(i)) allowed++;
    expect(allowed).toBe(10);
    expect(b.retriesRefused).toBe(90);
    // Once the window has passed the withdrawals expire and the reserve is back.
    expect(b.available(5100)).toBe(10);
    expect(b.tryRetry(5100)).toBe(true);
  });

  test("deposits expire after the window", () => {
    const b = budget({ ratio: 1, minPerSecond: 0, windowMs: 1000 });
    for (let i = 0; i < 10; i++) b.onRequest(0);
    expect(b.available(500)).toBe(10);
    expect(b.available(1000)).toBe(0);
    expect(b.tryRetry(1000)).toBe(false);
  });

  test("ratio 0 and no floor: never", () => {
    const b = budget({ ratio: 0, minPerSecond: 0 });
    for (let i = 0; i < 1000; i++) b.onRequest(i);
    expect(b.tryRetry(1000)).toBe(false);
  });

  test("100 % failing backend, long run: retries ≤ ratio × requests + minPerSecond × seconds + one window's floor", () => {
    const plan = { ratio: 0.2, minPerSecond: 5, windowMs: 10_000 };
    const b = new RetryBudget(plan);
    let requests = 0;
    let retries = 0;
    // 300 s at 200 requests/s; every attempt fails and asks for up to two retries.
    const seconds = 300;
    for (let ms = 0; ms < seconds * 1000; ms += 5) {
      b.onRequest(ms);
      requests++;
      for (let k = 0; k < 2; k++) {
        if (!b.tryRetry(ms)) break;
        retries++;
      }
    }
    const bound = plan.ratio * requests + plan.minPerSecond * seconds + plan.minPerSecond * (plan.windowMs / 1000);
    expect(retries).toBeLessThanOrEqual(bound);
    // And the budget is actually used: not far under ratio × requests.
    expect(retries).toBeGreaterThan(plan.ratio * requests);
    expect(b.retriesRefused).toBeGreaterThan(0);
  });

  test("property: any traffic pattern stays within the bound", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 100, max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 })), { maxLength: 400 }),
        (ratio, minPerSecond, windowMs, steps) => {
          const b = new RetryBudget({ ratio, minPerSecond, windowMs });
          let t = 0;
          let requests = 0;
          let retries = 0;
          for (const [dt, reqs, tries] of steps) {
            t += dt;
            for (let i = 0; i < reqs; i++) b.onRequest(t);
            requests += reqs;
            for (let i = 0; i < tries; i++) if (b.tryRetry(t)) retries++;
          }
          const windows = Math.floor(t / windowMs) + 1;
          const bound = Math.round(ratio * 1000) / 1000 * requests + minPerSecond * (windowMs / 1000) * windows;
          expect(retries).toBeLessThanOrEqual(bound + 1e-9);
        },
      ),
    );
  });
});
