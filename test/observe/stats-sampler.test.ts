import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { GatewayMetrics, NO_ROUTE } from "../../src/observe/gateway-metrics.ts";
import { LatencyHistogram } from "../../src/observe/latency-histogram.ts";
import { INTERVAL_BOUNDS_MICROS, IntervalPercentiles } from "../../src/observe/series/interval-percentiles.ts";
import { SeriesRing } from "../../src/observe/series/series-ring.ts";
import { StatsSampler, type StatsSamplerOptions } from "../../src/observe/series/stats-sampler.ts";
import { buildRuntime, type GatewayRuntime } from "../../src/pipeline/gateway-runtime.ts";
import { planFrom, withDefaults } from "../support/gateway.ts";

const samplers: StatsSampler[] = [];
const runtimes: GatewayRuntime[] = [];
afterEach(() => {
  for (const s of samplers.splice(0)) s.stop();
  for (const r of runtimes.splice(0)) r.close();
});

/** A sampler on a hand-driven clock: each tick() advances 2 s and samples. */
function driven(metrics: () => GatewayMetrics, opts: Partial<StatsSamplerOptions> = {}) {
  let clock = 0;
  const sampler = new StatsSampler({ metrics, now: () => clock, wallClock: () => 1_700_000_000_000 + clock, ...opts });
  samplers.push(sampler);
  return {
    sampler,
    tick(ms = 2000) {
      clock += ms;
      sampler.sample();
    },
  };
}

function finish(m: GatewayMetrics, route: number, status: number, micros: number, n = 1): void {
  for (let i = 0; i < n; i++) {
    m.requestStarted();
    m.requestFinished(route, status, micros);
  }
}

describe("SeriesRing", () => {
  test("keeps the last `capacity` samples, oldest first, NaN as null", () => {
    const ring = new SeriesRing(3);
    const col = ring.column();
    for (let i = 1; i <= 5; i++) col[ring.advance()] = i === 4 ? NaN : i;
    expect(ring.size).toBe(3);
    expect(ring.read(col)).toEqual([3, null, 5]);
    expect(ring.sum(col)).toBe(8);
    expect(ring.read(col, 2)).toEqual([6, null, 10]);
  });

  test("ratio is null where the denominator is 0 or a value is missing", () => {
    const ring = new SeriesRing(4);
    const num = ring.column();
    const den = ring.column();
    const cases: [number, number][] = [[4, 2], [1, 0], [NaN, 1], [3, 3]];
    for (const [n, d] of cases) {
      const s = ring.advance();
      num[s] = n;
      den[s] = d;
    }
    expect(ring.ratio(num, den)).toEqual([2, null, null, 1]);
  });
});

describe("IntervalPercentiles", () => {
  test("reports the interval's requests only, not everything since start", () => {
    const h = new LatencyHistogram();
    const ip = new IntervalPercentiles();
    const out = new Float64Array(3);
    ip.baseline(h);
    for (let i = 0; i < 1000; i++) h.record(1000); // 1 ms
    expect(ip.take(h, out)).toBe(1000);
    expect(out[0]).toBeCloseTo(1, 1);
    for (let i = 0; i < 100; i++) h.record(20_000); // 20 ms
    expect(ip.take(h, out)).toBe(100);
    expect(out[0]! / 20).toBeGreaterThan(0.97);
    expect(out[0]! / 20).toBeLessThan(1.03);
    expect(ip.take(h, out)).toBe(0);
    expect([...out].every(Number.isNaN)).toBe(true);
  });

  test("a histogram that went backwards counts from zero", () => {
    const h = new LatencyHistogram();
    const ip = new IntervalPercentiles();
    const out = new Float64Array(3);
    for (let i = 0; i < 50; i++) h.record(500);
    ip.baseline(h);
    h.reset();
    h.record(4000);
    expect(ip.take(h, out)).toBe(1);
    expect(out[2]! / 4).toBeCloseTo(1, 1);
  });

  test("property: within 3 % of HDR's percentiles of a histogram holding only the interval", () => {
    const micros = fc.integer({ min: 1, max: 30_000_000 });
    fc.assert(
      fc.property(fc.array(micros, { maxLength: 200 }), fc.array(micros, { minLength: 1, maxLength: 300 }), (before, during) => {
        const h = new LatencyHistogram();
        const only = new LatencyHistogram();
        const ip = new IntervalPercentiles();
        const out = new Float64Array(3);
        for (const v of before) h.record(v);
        ip.baseline(h);
        for (const v of during) {
          h.record(v);
          only.record(v);
        }
        expect(ip.take(h, out)).toBe(during.length);
        [50, 99, 99.9].forEach((p, q) => {
          const want = only.percentile(p);
          const got = out[q]!;
          // Bounds are whole µs below 50 µs: allow 1 µs there.
          expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(want * 0.03, 0.001));
        });
      }),
      { numRuns: 150 },
    );
  });

  test("bounds ascend and end at 60 s", () => {
    for (let i = 1; i < INTERVAL_BOUNDS_MICROS.length; i++) expect(INTERVAL_BOUNDS_MICROS[i]!).toBeGreaterThan(INTERVAL_BOUNDS_MICROS[i - 1]!);
    expect(INTERVAL_BOUNDS_MICROS[INTERVAL_BOUNDS_MICROS.length - 1]).toBe(60_000_000);
  });
});

describe("StatsSampler", () => {
  test("per route: requests per second by status class and interval percentiles", () => {
    const m = new GatewayMetrics(["users", "orders"], ["backend"]);
    const { sampler, tick } = driven(() => m);
    finish(m, 0, 200, 1000, 20);
    finish(m, 0, 503, 1000, 4);
    finish(m, -1, 404, 100, 2);
    tick();
    finish(m, 0, 200, 8000, 10);
    tick();
    const d = sampler.data();
    expect(d.t).toEqual([1_700_000_002_000, 1_700_000_004_000]);
    const users = d.routes.find((r) => r.name === "users")!;
    expect(users.rps).toEqual([12, 5]);
    expect(users.status["2xx"]).toEqual([10, 5]);
    expect(users.status["5xx"]).toEqual([2, 0]);
    expect(users.status["4xx"]).toBeUndefined();
    expect(users.p50[0]! / 1).toBeCloseTo(1, 1);
    expect(users.p50[1]! / 8).toBeCloseTo(1, 1);
    const orders = d.routes.find((r) => r.name === "orders")!;
    expect(orders.rps).toEqual([0, 0]);
    expect(orders.p99).toEqual([null, null]); // no requests: no percentile
    expect(d.routes.find((r) => r.name === NO_ROUTE)!.status["4xx"]).toEqual([1, 0]);
    const classes = Object.fromEntries(d.statusClasses.map((c) => [c.statusClass, c]));
    expect(classes["2xx"]!.window).toBe(30);
    expect(classes["4xx"]!.sinceStart).toBe(2);
    expect(classes["5xx"]!.perSecond).toEqual([2, 0]);
    expect(classes["1xx"]).toBeUndefined();
  });

  test("counts before the sampler started are not in the first interval", () => {
    const m = new GatewayMetrics(["a"], []);
    finish(m, 0, 200, 30_000, 100);
    const { sampler, tick } = driven(() => m);
    finish(m, 0, 200, 1000, 4);
    tick();
    const a = sampler.data().routes[0]!;
    expect(a.rps).toEqual([2]);
    expect(a.p999[0]!).toBeLessThan(2);
  });

  test("problem codes per interval, and the limiter refusals among them", () => {
    const m = new GatewayMetrics(["a", "b"], []);
    const { sampler, tick } = driven(() => m);
    tick();
    for (let i = 0; i < 6; i++) m.problem(0, "KEEL_RATE_LIMITED");
    m.problem(1, "KEEL_RATE_LIMITED");
    m.problem(1, "KEEL_QUEUE_TIMEOUT");
    m.problem(0, "KEEL_CONCURRENCY_LIMITED");
    m.problem(-1, "KEEL_ROUTE_NOT_FOUND");
    tick();
    m.problem(0, "KEEL_OVERLOADED");
    tick();
    const d = sampler.data();
    const codes = Object.fromEntries(d.codes.map((c) => [c.code, c]));
    expect(Object.keys(codes).sort()).toEqual(["KEEL_CONCURRENCY_LIMITED", "KEEL_OVERLOADED", "KEEL_QUEUE_TIMEOUT", "KEEL_RATE_LIMITED", "KEEL_ROUTE_NOT_FOUND"]);
    expect(codes["KEEL_RATE_LIMITED"]!.perInterval).toEqual([0, 7, 0]);
    expect(codes["KEEL_RATE_LIMITED"]!.window).toBe(7);
    expect(codes["KEEL_RATE_LIMITED"]!.status).toBe(429);
    expect(codes["KEEL_ROUTE_NOT_FOUND"]!.sinceStart).toBe(1);
    expect(d.limits.rateLimited).toEqual([0, 3.5, 0]);
    expect(d.limits.concurrencyRejected).toEqual([0, 1, 0]);
    expect(d.limits.shed).toEqual([0, 0, 0.5]);
    expect(d.limits.queued).toEqual([null, null, null]); // no runtime given
  });

  test("the ring is bounded: the oldest samples leave", () => {
    const m = new GatewayMetrics(["a"], []);
    const { sampler, tick } = driven(() => m, { capacity: 4 });
    for (let i = 1; i <= 10; i++) {
      finish(m, 0, 200, 1000, i * 2);
      tick();
    }
    const d = sampler.data();
    expect(sampler.size).toBe(4);
    expect(d.capacity).toBe(4);
    expect(d.t.length).toBe(4);
    expect(d.routes[0]!.rps).toEqual([7, 8, 9, 10]);
    expect(d.inFlight).toEqual([0, 0, 0, 0]);
  });

  test("a reload that swaps the metrics: routes by name, a gap where they changed, removed ones age out", () => {
    const before = new GatewayMetrics(["keep", "gone"], []);
    const after = new GatewayMetrics(["new", "keep"], []);
    let current = before;
    const { sampler, tick } = driven(() => current, { capacity: 3 });
    finish(before, 0, 200, 1000, 2);
    finish(before, 1, 200, 1000, 4);
    tick();
    current = after;
    finish(after, 1, 200, 1000, 6);
    tick(); // "keep" moved: this interval is a gap, measured from here on
    finish(after, 1, 200, 1000, 8);
    finish(after, 0, 500, 1000, 2);
    tick();
    let d = sampler.data();
    const byName = Object.fromEntries(d.routes.map((r) => [r.name, r]));
    expect(byName["keep"]!.rps).toEqual([1, null, 4]);
    expect(byName["keep"]!.inForce).toBe(true);
    expect(byName["gone"]!.rps).toEqual([2, null, null]);
    expect(byName["gone"]!.inForce).toBe(false);
    expect(byName["new"]!.rps).toEqual([null, null, 1]);
    tick();
    d = sampler.data();
    expect(d.routes.map((r) => r.name)).not.toContain("gone");
    expect(d.routes.map((r) => r.name).sort()).toEqual([NO_ROUTE, "keep", "new"].sort());
  });

  test("a reload that keeps the metrics (names grow, series move): no gap; routes the runtime dropped age out", () => {
    const plan = (names: string[]) =>
      planFrom(
        withDefaults(`upstreams:
  backend: { endpoints: ["http://127.0.0.1:9"] }
routes:
${names.map((n) => `  - { name: ${n}, match: { pathPrefix: /${n} }, upstream: backend }`).join("\n")}
`),
      );
    const first = buildRuntime(plan(["keep", "gone"]));
    const second = buildRuntime(plan(["keep", "added"]));
    runtimes.push(first, second);
    const m = new GatewayMetrics(["keep", "gone"], ["backend"]);
    let rt = first;
    const { sampler, tick } = driven(() => m, { runtime: () => rt, capacity: 3 });
    finish(m, 0, 200, 1000, 2);
    finish(m, -1, 404, 1000, 2);
    tick();
    m.usePlanNames(["keep", "added"], ["backend"]); // "(none)" moves to a later series
    rt = second;
    finish(m, 0, 200, 1000, 4);
    finish(m, m.routeSeries(1), 200, 1000, 6); // "added", position 1 of the new plan
    finish(m, -1, 404, 1000, 8);
    tick();
    const byName = Object.fromEntries(sampler.data().routes.map((r) => [r.name, r]));
    expect(byName["keep"]!.rps).toEqual([1, 2]);
    expect(byName[NO_ROUTE]!.rps).toEqual([1, 4]);
    expect(byName["added"]!.rps).toEqual([null, null]); // first seen now: measured from here
    expect(byName["gone"]!.rps).toEqual([0, null]);
    expect(byName["gone"]!.inForce).toBe(false);
    tick();
    tick();
    expect(sampler.data().routes.map((r) => r.name).sort()).toEqual([NO_ROUTE, "added", "keep"].sort());
  });

  test("process series: lag, heap, RSS and CPU are sampled; the document is plain JSON", async () => {
    const m = new GatewayMetrics(["a"], []);
    const sampler = new StatsSampler({ metrics: () => m, lagResolutionMs: 10 });
    samplers.push(sampler);
    await Bun.sleep(60);
    sampler.sample();
    const d = sampler.data();
    expect(d.process.heapUsedMB[0]!).toBeGreaterThan(0);
    expect(d.process.rssMB[0]!).toBeGreaterThan(d.process.heapUsedMB[0]! / 2);
    expect(d.process.lagMaxMs[0]!).toBeGreaterThanOrEqual(0);
    expect(d.process.cpuPercent[0]!).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  test("the timer samples by itself every intervalMs", async () => {
    const m = new GatewayMetrics(["a"], []);
    const sampler = new StatsSampler({ metrics: () => m, intervalMs: 20 });
    samplers.push(sampler);
    sampler.start();
    const until = Date.now() + 3000;
    while (sampler.size < 2 && Date.now() < until) await Bun.sleep(10);
    expect(sampler.size).toBeGreaterThanOrEqual(2);
    sampler.stop();
  });

  test("with a runtime: endpoint health, rate policies, concurrency limiters by name", () => {
    const plan = planFrom(
      withDefaults(`upstreams:
  backend:
    endpoints: ["http://127.0.0.1:9", "http://127.0.0.1:10"]
    concurrency: { max: 5, queue: 2 }
routes:
  - name: api
    match: { pathPrefix: /api }
    upstream: backend
    rateLimit: { rate: 10/s, key: clientIp }
    concurrency: { max: 3 }
`),
    );
    const rt = buildRuntime(plan);
    runtimes.push(rt);
    const m = new GatewayMetrics(["api"], ["backend"]);
    const { sampler, tick } = driven(() => m, { runtime: () => rt });
    tick();
    const d = sampler.data();
    expect(d.upstreams).toEqual([
      {
        name: "backend",
        healthy: 2,
        ejections: 0,
        breaker: null,
        endpoints: [
          { url: "http://127.0.0.1:9", state: "healthy", p99Ms: null },
          { url: "http://127.0.0.1:10", state: "healthy", p99Ms: null },
        ],
      },
    ]);
    expect(d.limits.ratePolicies).toEqual([{ route: "api", policy: plan.routes[0]!.rateLimits[0]!.name, allowed: 0, limited: 0 }]);
    expect(d.limits.concurrency.map((c) => [c.scope, c.name, c.limit])).toEqual([
      ["route", "api", 3],
      ["upstream", "backend", 5],
    ]);
    expect(d.limits.queued).toEqual([0]);
    expect(d.limits.limiterInFlight).toEqual([0]);
    expect(d.limits.shedding).toBe(false);
  });
});
