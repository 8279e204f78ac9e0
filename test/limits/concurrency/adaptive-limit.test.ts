import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AdaptiveLimit, MIN_WINDOW_SAMPLES } from "../../../src/limits/concurrency/adaptive-limit.ts";
import type { AdaptivePlan } from "../../../src/limits/types.ts";

function plan(over: Partial<AdaptivePlan> = {}): AdaptivePlan {
  return { minLimit: 4, maxLimit: 200, initialLimit: 20, windowMs: 1000, tolerance: 1.5, ...over };
}

/** A limit whose first window starts at 0, like the test clocks. */
function fresh(over: Partial<AdaptivePlan> = {}, cap = Number.POSITIVE_INFINITY): AdaptiveLimit {
  return new AdaptiveLimit(plan(over), cap, 0);
}

/**
 * Feeds one window of `n` samples at `latency` (ms), spread over windowMs, with `inFlight` requests
 * in flight (default: the current limit, i.e. saturated). Returns the limit after the window.
 */
function window(a: AdaptiveLimit, clock: { t: number }, latency: number | ((i: number) => number), opts: { n?: number; inFlight?: number; ok?: (i: number) => boolean } = {}): number {
  const n = opts.n ?? 20;
  const step = a.plan.windowMs / n;
  for (let i = 0; i < n; i++) {
    clock.t += step;
    const ms = typeof latency === "number" ? latency : latency(i);
    a.sample(ms, opts.ok ? opts.ok(i) : true, clock.t, opts.inFlight ?? a.limit);
  }
  return a.limit;
}

describe("AdaptiveLimit", () => {
  test("starts at initialLimit, clamped into [minLimit, maxLimit] and under the cap", () => {
    expect(fresh().limit).toBe(20);
    expect(fresh({ initialLimit: 1 }).limit).toBe(4);
    expect(fresh({ initialLimit: 500 }).limit).toBe(200);
    const capped = fresh({}, 10);
    expect([capped.limit, capped.maxLimit]).toEqual([10, 10]);
    const tiny = fresh({ minLimit: 0, initialLimit: 0 });
    expect(tiny.limit).toBe(1);
  });

  test("recomputes only once a window has both run windowMs and gathered enough samples", () => {
    const a = fresh({ windowMs: 100 });
    // Plenty of samples, not enough time.
    for (let i = 0; i < 50; i++) expect(a.sample(10, true, i, 20)).toBe(false);
    // Enough time, but a fresh window with too few samples.
    expect(a.sample(10, true, 100, 20)).toBe(true);
    for (let i = 1; i < MIN_WINDOW_SAMPLES; i++) expect(a.sample(10, true, 300 + i, 20)).toBe(false);
    expect(a.sample(10, true, 400, 20)).toBe(true);
    expect(a.windows).toBe(2);
  });

  test("low, steady latency lets the limit grow to maxLimit, and no further", () => {
    const clock = { t: 0 };
    const a = fresh({ maxLimit: 100 });
    let prev = a.limit;
    let windows = 0;
    while (a.limit < 100 && windows < 1000) {
      window(a, clock, 10);
      expect(a.limit).toBeGreaterThanOrEqual(prev);
      prev = a.limit;
      windows++;
    }
    expect(a.limit).toBe(100);
    for (let i = 0; i < 20; i++) window(a, clock, 10);
    expect(a.limit).toBe(100);
    expect(a.noLoadMs).toBeCloseTo(10, 6);
  });

  test("latency rising under load shrinks the limit, down to minLimit", () => {
    const clock = { t: 0 };
    const a = fresh({ initialLimit: 100 });
    for (let i = 0; i < 5; i++) window(a, clock, 10);
    const loaded = a.limit;
    // Within tolerance (1.5 × 10 ms): no shrink.
    window(a, clock, 14);
    expect(a.limit).toBeGreaterThanOrEqual(loaded);
    // Past it: shrinks (by about a tenth a window at gradient 0.5), down to minLimit.
    let prev = a.limit;
    let windows = 0;
    while (a.limit > 4 && windows < 100) {
      window(a, clock, 60);
      expect(a.lastGradient).toBe(0.5);
      expect(a.limit).toBeLessThanOrEqual(prev);
      if (prev > 20) expect(a.limit).toBeLessThan(prev);
      prev = a.limit;
      windows++;
    }
    expect(a.limit).toBe(4);
    expect(a.noLoadMs).toBe(10);
  });

  test("an upstream lastingly slower at any load is accepted once the limit is at minLimit", () => {
    const clock = { t: 0 };
    const a = fresh({ initialLimit: 100 });
    for (let i = 0; i < 5; i++) window(a, clock, 10);
    let windows = 0;
    while (a.limit > 4) {
      window(a, clock, 30);
      windows++;
    }
    // At minimum concurrency the estimate rises until 30 ms is within tolerance: the limit grows back.
    for (let i = 0; i < 5; i++) window(a, clock, 30);
    expect(a.noLoadMs).toBeGreaterThanOrEqual(20);
    for (let i = 0; i < 300; i++) window(a, clock, 30);
    expect(a.limit).toBe(200);
    expect(windows).toBeGreaterThan(10);
  });

  test("a latency proportional to the load settles the limit near where latency reaches tolerance × no-load", () => {
    // A toy upstream: 10 ms with up to 20 in flight, then latency grows with the concurrency.
    const clock = { t: 0 };
    const a = fresh({ initialLimit: 10, maxLimit: 1000 });
    for (let i = 0; i < 300; i++) window(a, clock, 10 * Math.max(1, a.limit / 20));
    // tolerance 1.5 → about 30 in flight; the sqrt headroom keeps it a little above.
    expect(a.limit).toBeGreaterThan(20);
    expect(a.limit).toBeLessThan(60);
  });

  test("does not grow while the traffic, not the upstream, bounds the concurrency", () => {
    const clock = { t: 0 };
    const a = fresh({ initialLimit: 40 });
    for (let i = 0; i < 20; i++) window(a, clock, 10, { inFlight: 19 });
    expect(a.limit).toBe(40);
    // It may still shrink.
    for (let i = 0; i < 3; i++) window(a, clock, 100, { inFlight: 19 });
    expect(a.limit).toBeLessThan(40);
  });

  test("a failure weighs as the window's slowest request, so fast failures cannot make it grow", () => {
    const clock = { t: 0 };
    const base = () => {
      const a = fresh({ initialLimit: 50 });
      for (let i = 0; i < 3; i++) window(a, clock, 10);
      return a;
    };
    // Nine fast failures and one slow success per ten requests.
    const latency = (i: number) => (i % 10 === 9 ? 50 : 1);
    const failing = base();
    const before = failing.limit;
    window(failing, clock, latency, { ok: (i) => i % 10 === 9 });
    expect(failing.lastSampleMs).toBe(50);
    expect(failing.limit).toBeLessThan(before);
    // The same latencies as successes: a fast window, so it grows.
    const succeeding = base();
    window(succeeding, clock, latency);
    expect(succeeding.limit).toBeGreaterThan(before);
  });

  test("the no-load estimate drops at once to a faster window; rises only at minimum concurrency", () => {
    const clock = { t: 0 };
    const a = fresh();
    window(a, clock, 20);
    expect(a.noLoadMs).toBe(20);
    window(a, clock, 8);
    expect(a.noLoadMs).toBe(8);
    window(a, clock, 68, { inFlight: 5 });
    expect(a.noLoadMs).toBe(8);
    window(a, clock, 68, { inFlight: 4 });
    expect(a.noLoadMs).toBe(38); // halfway
  });

  test("property: the limit never leaves [minLimit, maxLimit], whatever the samples", () => {
    fc.assert(
      fc.property(
        fc.record({
          minLimit: fc.integer({ min: 1, max: 50 }),
          span: fc.integer({ min: 0, max: 500 }),
          initialLimit: fc.integer({ min: 0, max: 1000 }),
          windowMs: fc.integer({ min: 1, max: 1000 }),
          tolerance: fc.double({ min: 1, max: 10, noNaN: true }),
        }),
        fc.array(
          fc.record({
            latency: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY)),
            ok: fc.boolean(),
            dt: fc.integer({ min: 0, max: 500 }),
            inFlight: fc.integer({ min: 0, max: 2000 }),
          }),
          { maxLength: 400 },
        ),
        (p, samples) => {
          const a = new AdaptiveLimit({ minLimit: p.minLimit, maxLimit: p.minLimit + p.span, initialLimit: p.initialLimit, windowMs: p.windowMs, tolerance: p.tolerance });
          let t = 0;
          for (const s of samples) {
            t += s.dt;
            a.sample(s.latency, s.ok, t, s.inFlight);
            expect(Number.isInteger(a.limit)).toBe(true);
            expect(a.limit).toBeGreaterThanOrEqual(p.minLimit);
            expect(a.limit).toBeLessThanOrEqual(p.minLimit + p.span);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
