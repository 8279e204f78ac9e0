import { describe, expect, test } from "bun:test";
import { Float64Histogram } from "hdr-histogram-js";
import { DURATION_BOUNDS_MICROS } from "../../src/observe/duration-buckets.ts";
import { HIGHEST_MICROS, LatencyHistogram } from "../../src/observe/latency-histogram.ts";
import { mulberry32 } from "../../bench/lib/mulberry32.ts"; // seeded: failures reproduce


/** Heavy-tailed µs values from 1 µs to ~60 s. */
function latencies(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(Math.exp(r() * Math.log(HIGHEST_MICROS))));
}

const RELATIVE_PRECISION = 1 / 128; // 2 significant digits: 256 sub-buckets

describe("LatencyHistogram", () => {
  test("percentiles of 1..10000 µs are within HDR precision of the exact ones", () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 10_000; v++) h.record(v);
    expect(h.count).toBe(10_000);
    for (const [p, exactMs] of [[50, 5], [90, 9], [99, 9.9], [99.9, 9.99], [100, 10]] as const) {
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exactMs);
      expect((got - exactMs) / exactMs).toBeLessThanOrEqual(RELATIVE_PRECISION);
    }
  });

  test("values below 256 µs are exact", () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 200; v++) h.record(v);
    expect(h.percentile(50)).toBe(0.1);
    expect(h.percentile(99)).toBe(0.198);
    expect(h.percentile(100)).toBe(0.2);
  });

  test("empty histogram reads zero", () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.percentile(99)).toBe(0);
    expect(h.countAtOrBelow(1000)).toBe(0);
  });

  test("countAtOrBelow counts the cumulative samples", () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    expect(h.countAtOrBelow(0)).toBe(0);
    expect(h.countAtOrBelow(1)).toBe(1);
    expect(h.countAtOrBelow(100)).toBe(100);
    expect(h.countAtOrBelow(255)).toBe(255);
    expect(h.countAtOrBelow(1000)).toBe(1000);
    expect(h.countAtOrBelow(Infinity)).toBe(1000);
    // Above 256 µs a slot holds several values: the answer is within one slot of exact.
    const at500 = h.countAtOrBelow(500);
    expect(at500).toBeGreaterThanOrEqual(500);
    expect(at500 - 500).toBeLessThanOrEqual(Math.ceil(500 * RELATIVE_PRECISION));
  });

  test("out-of-range input never throws: negative/NaN as 0, huge as above 60 s", () => {
    const h = new LatencyHistogram();
    // 61 s, not 60 s + 1 µs: up there one slot is 262 ms wide and 60 s + 1 µs shares 60 s's slot.
    for (const v of [-5, NaN, 0, 1e12, Infinity, 61_000_000]) h.record(v);
    expect(h.count).toBe(6);
    expect(h.countAtOrBelow(0)).toBe(3);
    expect(h.countAtOrBelow(HIGHEST_MICROS)).toBe(3); // the oversized ones stay above the 60 s bound
    expect(h.countAtOrBelow(Infinity)).toBe(6);
    expect(Number.isFinite(h.sumMicros)).toBe(true);
  });

  test("sum and max follow the recorded values", () => {
    const h = new LatencyHistogram();
    h.record(100);
    h.record(2500.7);
    expect(h.sumMicros).toBe(2600);
    expect(h.maxMicros).toBe(2500);
  });

  test("records into the same slots as hdr-histogram-js's own recordValue", () => {
    const mine = new LatencyHistogram();
    const reference = new Float64Histogram(1, HIGHEST_MICROS, 2);
    const values = latencies(50_000, 7);
    for (let bit = 0; bit <= 25; bit++) values.push(2 ** bit - 1, 2 ** bit, 2 ** bit + 1);
    values.push(HIGHEST_MICROS);
    for (const v of values) {
      mine.record(v);
      reference.recordValue(v);
    }
    for (const p of [0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(mine.percentile(p)).toBe(reference.getValueAtPercentile(p) / 1000);
    }
    for (let i = 0; i < reference.countsArrayLength; i++) {
      // countAtOrBelow(lowest value of slot i) must equal the reference's cumulative count up to slot i.
      if (reference.getCountAtIndex(i) === 0) continue;
      const low = reference.valueFromIndex(i);
      let expected = 0;
      for (let j = 0; j <= i; j++) expected += reference.getCountAtIndex(j);
      expect(mine.countAtOrBelow(low)).toBe(expected);
    }
  });

  test("snapshot agrees with countAtOrBelow and percentile in one pass", () => {
    const h = new LatencyHistogram();
    for (const v of latencies(20_000, 42)) h.record(v);
    for (let i = 0; i < 100; i++) h.record(1e12); // above every bound: only the percentiles see them
    const cumulative = new Float64Array(DURATION_BOUNDS_MICROS.length);
    const percents = [50, 99, 99.9];
    const values = new Float64Array(percents.length);
    h.snapshot(DURATION_BOUNDS_MICROS, cumulative, percents, values);
    DURATION_BOUNDS_MICROS.forEach((bound, b) => expect(cumulative[b]).toBe(h.countAtOrBelow(bound)));
    percents.forEach((p, q) => expect(values[q]! / 1000).toBe(h.percentile(p)));
    expect(values[2]! / 1e6).toBeGreaterThan(60); // p99.9 falls among the oversized samples
    expect(cumulative.at(-1)).toBe(20_000);
  });

  test("snapshot of an empty histogram is all zeros", () => {
    const h = new LatencyHistogram();
    const cumulative = new Float64Array(DURATION_BOUNDS_MICROS.length).fill(7);
    const values = new Float64Array(2).fill(7);
    h.snapshot(DURATION_BOUNDS_MICROS, cumulative, [50, 99], values);
    expect([...cumulative].every((c) => c === 0)).toBe(true);
    expect([...values]).toEqual([0, 0]);
  });

  test("reset empties everything", () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 100; v++) h.record(v * 1000);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.sumMicros).toBe(0);
    expect(h.maxMicros).toBe(0);
    expect(h.countAtOrBelow(Infinity)).toBe(0);
    expect(h.percentile(50)).toBe(0);
    h.record(10);
    expect(h.percentile(50)).toBe(0.01);
  });
});
