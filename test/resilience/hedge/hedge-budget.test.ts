import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HEDGE_BURST, HedgeBudget } from "../../../src/resilience/hedge/hedge-budget.ts";

describe("HedgeBudget", () => {
  test("starts empty; ten requests at 0.1 pay for one hedge, exactly", () => {
    const b = new HedgeBudget({ maxExtraRatio: 0.1 });
    expect(b.tryHedge()).toBe(false);
    for (let i = 0; i < 9; i++) b.onRequest();
    expect(b.tryHedge()).toBe(false);
    b.onRequest();
    expect(b.tryHedge()).toBe(true);
    expect(b.tryHedge()).toBe(false);
    expect([b.hedgesAllowed, b.hedgesRefused]).toEqual([1, 3]);
  });

  test("the bucket is capped: a calm spell saves at most maxTokens hedges", () => {
    const b = new HedgeBudget({ maxExtraRatio: 0.5 });
    for (let i = 0; i < 10_000; i++) b.onRequest();
    expect(b.available).toBe(HEDGE_BURST);
    let n = 0;
    while (b.tryHedge()) n++;
    expect(n).toBe(HEDGE_BURST);
    const small = new HedgeBudget({ maxExtraRatio: 0.5 }, 0); // a cap under one hedge would forbid all: 1
    for (let i = 0; i < 10; i++) small.onRequest();
    expect(small.available).toBe(1);
  });

  test("won and lost are counted", () => {
    const b = new HedgeBudget({ maxExtraRatio: 1 });
    b.onHedgeWon();
    b.onHedgeLost();
    b.onHedgeLost();
    expect([b.hedgesWon, b.hedgesLost]).toEqual([1, 2]);
  });

  test("long run, every request wanting a hedge: extra load ≤ ratio (+1 token)", () => {
    const ratio = 0.05;
    const b = new HedgeBudget({ maxExtraRatio: ratio });
    const requests = 1_000_000;
    for (let i = 0; i < requests; i++) {
      b.onRequest();
      b.tryHedge();
    }
    expect(b.hedgesAllowed).toBeLessThanOrEqual(ratio * requests + 1);
    expect(b.hedgesAllowed).toBeGreaterThanOrEqual(ratio * requests - 1);
  });

  test("property: hedges ≤ ratio × requests, whatever the interleaving", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.boolean(), { maxLength: 2000 }), (ratio, ops) => {
        const b = new HedgeBudget({ maxExtraRatio: ratio });
        let requests = 0;
        for (const isRequest of ops) {
          if (isRequest) {
            b.onRequest();
            requests++;
          } else b.tryHedge();
        }
        expect(b.hedgesAllowed).toBeLessThanOrEqual((Math.round(ratio * 1000) / 1000) * requests + 1e-9);
      }),
    );
  });
});
