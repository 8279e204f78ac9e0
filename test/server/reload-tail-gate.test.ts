// The tail gate's arithmetic: window percentiles from differences of summed route histograms, and
// the verdict rule.

import { describe, expect, test } from "bun:test";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { ProxyLatencyRing, tailBetween } from "../../src/server/reload/proxy-latency-ring.ts";
import { tailVerdict } from "../../src/server/reload/tail-gate.ts";

function record(m: GatewayMetrics, route: number, micros: number, n = 1): void {
  for (let i = 0; i < n; i++) {
    m.requestStarted();
    m.requestFinished(route, 200, micros);
  }
}

describe("window percentiles", () => {
  test("only the requests between two sums count, over all routes, within 3 % above the truth", () => {
    const m = new GatewayMetrics(["a", "b"], []);
    const ring = new ProxyLatencyRing(m, 10_000);
    record(m, 0, 50_000, 500); // before the window: slow, must not show
    const from = ring.sumNow();
    record(m, 0, 1000, 990);
    record(m, 1, 20_000, 9);
    record(m, -1, 80_000, 1); // no route: counts too
    const t = tailBetween(from, ring.sumNow());
    expect(t.requests).toBe(1000);
    expect(t.p99).toBeGreaterThanOrEqual(0.001);
    expect(t.p99).toBeLessThanOrEqual(0.001 * 1.03);
    expect(t.p999).toBeGreaterThanOrEqual(0.02);
    expect(t.p999).toBeLessThanOrEqual(0.02 * 1.03);
  });

  test("no requests: NaN and 0", () => {
    const m = new GatewayMetrics(["a"], []);
    const ring = new ProxyLatencyRing(m, 10_000);
    const s = ring.sumNow();
    expect(tailBetween(s, ring.sumNow())).toEqual({ requests: 0, p99: NaN, p999: NaN });
  });

  test("a route a reload adds counts from its first request", () => {
    const m = new GatewayMetrics(["a"], []);
    const ring = new ProxyLatencyRing(m, 10_000);
    record(m, 0, 500, 10);
    const from = ring.sumNow();
    m.usePlanNames(["a", "b"], []);
    record(m, 1, 500, 10);
    expect(tailBetween(from, ring.sumNow()).requests).toBe(10);
  });

  test("the ring answers with the newest sum at least a window old", () => {
    let now = 0;
    const m = new GatewayMetrics(["a"], []);
    const ring = new ProxyLatencyRing(m, 3000, 1000, () => now);
    for (let i = 0; i < 6; i++) {
      record(m, 0, 100);
      ring.tick();
      now += 1000;
    }
    // now = 6000; ticks at 0..5000 held (total 1..6); the newest at or before 3000 has total 4.
    expect(ring.sumWindowAgo()!.total).toBe(4);
  });
});

describe("verdict", () => {
  const w = (requests: number, p99: number) => ({ requests, p99, p999: p99 * 2 });
  const CASES: [string, ReturnType<typeof w>, ReturnType<typeof w>, string][] = [
    ["same", w(1000, 0.002), w(1000, 0.002), "ok"],
    ["25 % slower", w(1000, 0.008), w(1000, 0.01), "ok"],
    ["30 % slower", w(1000, 0.008), w(1000, 0.0104), "worse"],
    ["+1 ms on a fast proxy", w(1000, 0.0005), w(1000, 0.0015), "ok"],
    ["+1.2 ms on a fast proxy", w(1000, 0.0005), w(1000, 0.0017), "worse"],
    ["faster", w(1000, 0.01), w(1000, 0.001), "ok"],
    ["few before", w(99, 0.001), w(1000, 0.5), "too few requests"],
    ["few after", w(1000, 0.001), w(50, 0.5), "too few requests"],
  ];
  for (const [name, before, after, want] of CASES) test(name, () => expect(tailVerdict(before, after)).toBe(want as ReturnType<typeof tailVerdict>));
});
