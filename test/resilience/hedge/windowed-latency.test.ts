import { describe, expect, test } from "bun:test";
import { MIN_HEDGE_SAMPLES, WindowedLatency } from "../../../src/resilience/hedge/windowed-latency.ts";
import type { HedgePlan } from "../../../src/resilience/types.ts";

function plan(over: Partial<HedgePlan> = {}): HedgePlan {
  return { percentile: 95, floorMs: 2, maxExtraRatio: 0.1, windowMs: 10_000, refreshMs: 1000, ...over };
}

/** Records `n` samples spread over [from, from + durationMs), value(i) in ms. */
function feed(w: WindowedLatency, from: number, durationMs: number, n: number, valueMs: (i: number) => number): number {
  for (let i = 0; i < n; i++) w.record(valueMs(i) * 1000, from + (i * durationMs) / n);
  return from + durationMs;
}

/** 1..100 ms, uniformly: p95 is 95 ms. */
const uniform100 = (i: number) => (i % 100) + 1;

describe("WindowedLatency", () => {
  test("Infinity (no hedging) until the window holds minSamples samples", () => {
    const w = new WindowedLatency(plan());
    expect(w.thresholdMs(0)).toBe(Number.POSITIVE_INFINITY);
    feed(w, 0, 1000, MIN_HEDGE_SAMPLES - 1, () => 50);
    expect(w.thresholdMs(1000)).toBe(Number.POSITIVE_INFINITY);
    expect(w.lastPercentileMs).toBeNaN();
    w.record(50_000, 1500);
    expect(w.thresholdMs(2000)).toBeCloseTo(50, 0);
  });

  test("percentile within HDR + ladder precision (~2 %)", () => {
    const w = new WindowedLatency(plan());
    const t = feed(w, 0, 1000, 10_000, uniform100);
    const ms = w.thresholdMs(t);
    expect(ms).toBeGreaterThanOrEqual(95 * 0.98);
    expect(ms).toBeLessThanOrEqual(95 * 1.02);
  });

  test("sub-millisecond latencies are read at µs resolution", () => {
    const w = new WindowedLatency(plan({ floorMs: 0, percentile: 50 }));
    const t = feed(w, 0, 1000, 1000, (i) => (i % 2 === 0 ? 0.1 : 0.3));
    expect(w.thresholdMs(t)).toBeCloseTo(0.1, 3);
  });

  test("the floor is respected", () => {
    const w = new WindowedLatency(plan({ floorMs: 20 }));
    const t = feed(w, 0, 1000, 1000, () => 1);
    expect(w.thresholdMs(t)).toBe(20);
    expect(w.lastPercentileMs).toBeCloseTo(1, 1);
  });

  test("recomputes at most once per refreshMs, on a call (no timer)", () => {
    const w = new WindowedLatency(plan());
    feed(w, 0, 999, 1000, uniform100);
    expect(w.refreshes).toBe(1); // the very first call
    w.thresholdMs(999);
    expect(w.refreshes).toBe(1);
    w.thresholdMs(1000);
    expect(w.refreshes).toBe(2);
    // A long gap is one recomputation, not one per refreshMs missed.
    w.thresholdMs(60_000);
    expect(w.refreshes).toBe(3);
  });

  test("tracks a shift of the distribution within a window plus a refresh", () => {
    const w = new WindowedLatency(plan({ windowMs: 4000, refreshMs: 500 }));
    let t = feed(w, 0, 8000, 8000, () => 10);
    expect(w.thresholdMs(t)).toBeCloseTo(10, 0);
    // Latency jumps to 100 ms; 1000 samples/s.
    const shiftAt = t;
    let settledAt = Number.NaN;
    for (let s = 0; s < 20 && Number.isNaN(settledAt); s++) {
      t = feed(w, t, 500, 500, () => 100);
      if (Math.abs(w.thresholdMs(t) - 100) < 2) settledAt = t;
    }
    // p95 moves once 5 % of the window is new (very soon), and is exact once the old half is gone.
    expect(settledAt - shiftAt).toBeLessThanOrEqual(4000 + 500);
    // Then it comes back down once the fast samples are a long way past p95's share.
    const downAt = t;
    let downSettled = Number.NaN;
    for (let s = 0; s < 40 && Number.isNaN(downSettled); s++) {
      t = feed(w, t, 500, 500, () => 10);
      if (Math.abs(w.thresholdMs(t) - 10) < 0.5) downSettled = t;
    }
    expect(downSettled - downAt).toBeLessThanOrEqual(4000 + 500);
  });

  test("p95 jumps within a couple of refreshes when the shift is large", () => {
    const w = new WindowedLatency(plan({ windowMs: 10_000, refreshMs: 1000 }));
    let t = feed(w, 0, 20_000, 20_000, () => 10);
    // 1000/s at 200 ms from now on: after 2 s, ≥ 2000 of ≤ 12000 samples in the window are slow (> 5 %).
    t = feed(w, t, 2000, 2000, () => 200);
    expect(w.thresholdMs(t + 1)).toBeGreaterThan(190);
  });

  test("an idle window expires: back to Infinity, not a stale percentile", () => {
    const w = new WindowedLatency(plan({ windowMs: 2000, refreshMs: 100 }));
    const t = feed(w, 0, 1000, 1000, () => 10);
    expect(w.thresholdMs(t)).toBeCloseTo(10, 0);
    expect(w.thresholdMs(t + 2000)).toBe(Number.POSITIVE_INFINITY);
    expect(w.samples).toBe(0);
  });

  test("more histograms: a tighter sliding view", () => {
    const w = new WindowedLatency(plan({ windowMs: 4000, refreshMs: 100 }), { slices: 4 });
    let t = feed(w, 0, 4000, 4000, () => 10);
    t = feed(w, t, 3100, 3100, () => 50);
    // Of 4 histograms of 1000 ms, at most 1 (partly elapsed) + 3 full ones: only the 50 ms samples.
    expect(w.thresholdMs(t)).toBeCloseTo(50, 0);
    expect(w.samples).toBeLessThanOrEqual(4000);
  });

  test("values past the range read as 60 s, not Infinity or NaN", () => {
    const w = new WindowedLatency(plan({ percentile: 99 }));
    const t = feed(w, 0, 1000, 200, () => 120_000);
    expect(w.thresholdMs(t)).toBe(60_000);
  });
});
