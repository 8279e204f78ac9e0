// Pooling paced rounds (bench/lib/pooled-latency.ts), and the BENCH_HIST line wrk prints for it.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseLatencyCounts, percentileChange, percentileMs, poolCounts, pooledTable, sampleCount } from "../../bench/lib/pooled-latency.ts";
import { parseBenchLine, runWrk } from "../../bench/lib/wrk.ts";
import { startBackend } from "../support/backend.ts";

describe("pooled latency", () => {
  test("parses value:count pairs and adds repeated values", () => {
    const c = parseLatencyCounts(" 100:2 250:1 100:3\n");
    expect([...c]).toEqual([[100, 5], [250, 1]]);
    expect(sampleCount(c)).toBe(6);
  });

  test("a bad pair is an error naming it", () => {
    expect(() => parseLatencyCounts("100:2 abc 3:1")).toThrow('bad pair "abc"');
    expect(() => parseLatencyCounts("100:x")).toThrow('bad pair "100:x"');
  });

  test("percentile: the smallest value at least p% of the requests did not exceed", () => {
    // 1..1000 µs, one request each.
    const c = new Map(Array.from({ length: 1000 }, (_, i) => [i + 1, 1] as [number, number]));
    expect(percentileMs(c, 50)).toBe(0.5);
    expect(percentileMs(c, 99.9)).toBe(0.999);
    expect(percentileMs(c, 100)).toBe(1);
    expect(percentileMs(c, 0)).toBe(0.001);
    expect(percentileMs(new Map(), 99)).toBeNaN();
    // Rank 1.5 of 3 rounds up: the 2nd value.
    expect(percentileMs(new Map([[1000, 1], [2000, 1], [3000, 1]]), 50)).toBe(2);
  });

  test("pooling weighs every request alike, not every run", () => {
    // Run 1: 999 requests at 200 µs and 1 at 9 ms; run 2: 1,000 at 300 µs. Pooled, p99.9 is
    // rank 1,998 of 2,000 (300 µs) and the slow one is the max; a median of the two runs'
    // maxima would say 4.65 ms.
    const run1 = new Map([[200, 999], [9000, 1]]);
    const run2 = new Map([[300, 1000]]);
    const pooled = poolCounts([run1, run2]);
    expect(sampleCount(pooled)).toBe(2000);
    expect(percentileMs(pooled, 99.9)).toBe(0.3);
    expect(percentileMs(pooled, 100)).toBe(9);
    expect(percentileMs(run1, 100)).toBe(9);
    expect(run1.get(200)).toBe(999); // inputs untouched
    expect(sampleCount(poolCounts([run2, undefined]))).toBe(1000); // a run without counts adds nothing
  });

  test("percentileChange: the other side against the base, signed, whole percent", () => {
    const base = new Map([[1000, 1]]);
    expect(percentileChange(base, new Map([[1190, 1]]), 50)).toBe("+19%");
    expect(percentileChange(base, new Map([[970, 1]]), 50)).toBe("-3%");
    expect(percentileChange(base, base, 50)).toBe("0%");
  });

  test("pooledTable: one row per side, requests and percentiles in ms", () => {
    const c = new Map(Array.from({ length: 10_000 }, (_, i) => [i + 1, 1] as [number, number]));
    expect(pooledTable("route", [["pass-through", c]])).toEqual([
      "| route | requests | p50 | p99 | p99.9 | p99.99 |",
      "|---|---:|---:|---:|---:|---:|",
      "| pass-through | 10,000 | 5.00 | 9.90 | 9.99 | 10.00 |",
    ]);
  });

  test("a BENCH line without BENCH_HIST has no latencies; with it, they are read", () => {
    const head = "BENCH requests=3 duration_us=1000000 p50=100 p99=200 p999=200 p9999=200 max=200 connect=0 read=0 write=0 status=0 timeout=0";
    expect(parseBenchLine(head, "x").latencies).toBeUndefined();
    const r = parseBenchLine(`${head}\nBENCH_HIST 100:2 200:1\n`, "x");
    expect(r.requests).toBe(3);
    expect([...r.latencies!]).toEqual([[100, 2], [200, 1]]);
  });

  test("wrk prints every recorded latency for a paced run with spread pauses", async () => {
    const backend = startBackend(() => new Response("ok"));
    try {
      const log = join(mkdtempSync(join(tmpdir(), "keel-wrk-")), "wrk.txt");
      const r = await runWrk({ connections: 4, seconds: 1, delayMs: 5, spread: "exp", histogram: true }, backend.url + "/", log);
      expect(r.errorTotal).toBe(0);
      expect(r.requests).toBeGreaterThan(0);
      const lat = r.latencies!;
      // wrk's histogram counts every completed request; its max is the largest value recorded.
      expect(sampleCount(lat)).toBeGreaterThanOrEqual(r.requests);
      expect(percentileMs(lat, 100)).toBe(r.max);
    } finally {
      backend.stop();
    }
  });
});
