import { describe, expect, test } from "bun:test";
import { DURATION_BOUNDS_LE, DURATION_BOUNDS_MICROS, microsToSecondsText } from "../../src/observe/duration-buckets.ts";
import { GatewayMetrics, NO_ROUTE } from "../../src/observe/gateway-metrics.ts";
import { escapeLabelValue, formatValue, PrometheusExposition } from "../../src/observe/prometheus.ts";
import { parseExposition, samplesOf, type Sample } from "./parse-exposition.ts";

const WEIRD = 'we"ird\\route\nname';

function loaded(): GatewayMetrics {
  const m = new GatewayMetrics(["users", WEIRD, "idle"], ["users-backend", "orders-backend"]);
  for (let i = 1; i <= 1000; i++) {
    m.requestStarted();
    m.requestFinished(0, i % 10 === 0 ? 503 : 200, i * 37); // 37 µs .. 37 ms
  }
  for (let i = 0; i < 5; i++) {
    m.requestStarted();
    m.requestFinished(1, 404, 2_000_000); // 2 s
  }
  m.requestStarted();
  m.requestFinished(-1, 404, 120);
  m.requestStarted(); // one still in flight
  m.upstreamError("users-backend", "KEEL_UPSTREAM_TIMEOUT");
  m.upstreamError("users-backend", "KEEL_UPSTREAM_TIMEOUT");
  m.upstreamError("orders-backend", "KEEL_INTERNAL"); // a gateway code: rendered because seen
  return m;
}

const byLabels = (samples: Sample[], labels: Record<string, string>) =>
  samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe("duration buckets", () => {
  test("62 log-spaced bounds from 50 µs to 60 s, exact decimal le text", () => {
    expect(DURATION_BOUNDS_MICROS.length).toBe(62);
    expect(DURATION_BOUNDS_LE[0]).toBe("0.00005");
    expect(DURATION_BOUNDS_LE.at(-1)).toBe("60");
    expect(DURATION_BOUNDS_LE.slice(3, 13)).toEqual([
      "0.0001", "0.000125", "0.00015", "0.0002", "0.00025", "0.0003", "0.0004", "0.0005", "0.0006", "0.0008",
    ]);
    for (let i = 0; i < DURATION_BOUNDS_MICROS.length; i++) {
      expect(Number.isInteger(DURATION_BOUNDS_MICROS[i])).toBe(true);
      expect(Math.round(Number(DURATION_BOUNDS_LE[i]) * 1e6)).toBe(DURATION_BOUNDS_MICROS[i]!);
      if (i > 0) expect(DURATION_BOUNDS_MICROS[i]!).toBeGreaterThan(DURATION_BOUNDS_MICROS[i - 1]!);
    }
    expect(microsToSecondsText(12_500_000)).toBe("12.5");
  });
});

describe("Prometheus exposition", () => {
  test("escapes label values and formats special numbers", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect([NaN, Infinity, -Infinity, 0.5, 3].map(formatValue)).toEqual(["NaN", "+Inf", "-Inf", "0.5", "3"]);
  });

  test("every line parses; HELP and TYPE once per family; families contiguous", () => {
    const text = new PrometheusExposition(loaded()).render();
    const families = parseExposition(text); // throws on any violation
    expect([...families.keys()]).toEqual([
      "keel_requests_total",
      "keel_request_duration_seconds",
      "keel_request_duration_quantile_seconds",
      "keel_requests_in_flight",
      "keel_upstream_errors_total",
      "keel_problems_total",
    ]);
    expect(families.get("keel_requests_total")!.type).toBe("counter");
    expect(families.get("keel_request_duration_seconds")!.type).toBe("histogram");
    expect(families.get("keel_requests_in_flight")!.type).toBe("gauge");
  });

  test("request counters by route and status class, escaped route names round-trip", () => {
    const families = parseExposition(new PrometheusExposition(loaded()).render());
    const requests = samplesOf(families, "keel_requests_total");
    const value = (route: string, status_class: string) => byLabels(requests, { route, status_class }).map((s) => s.value);
    expect(value("users", "2xx")).toEqual([900]);
    expect(value("users", "5xx")).toEqual([100]);
    expect(value("users", "1xx")).toEqual([0]);
    expect(value(WEIRD, "4xx")).toEqual([5]);
    expect(value(NO_ROUTE, "4xx")).toEqual([1]);
    expect(value("users", "other")).toEqual([]); // only once seen
    expect(samplesOf(families, "keel_requests_in_flight")[0]!.value).toBe(1);
  });

  test("histogram buckets are cumulative, monotonic, and +Inf equals _count", () => {
    const m = loaded();
    const families = parseExposition(new PrometheusExposition(m).render());
    const samples = samplesOf(families, "keel_request_duration_seconds");
    for (const route of m.routeNames) {
      const mine = byLabels(samples, { route });
      const buckets = mine.filter((s) => s.name === "keel_request_duration_seconds_bucket");
      const les = buckets.map((s) => s.labels.le);
      expect(les).toEqual([...DURATION_BOUNDS_LE, "+Inf"]);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const count = mine.find((s) => s.name === "keel_request_duration_seconds_count")!.value;
      const sum = mine.find((s) => s.name === "keel_request_duration_seconds_sum")!.value;
      expect(buckets.at(-1)!.value).toBe(count);
      expect(count).toBe(m.histograms[m.routeNames.indexOf(route)]!.count);
      expect(sum).toBeGreaterThanOrEqual(0);
    }
    const users = byLabels(samples, { route: "users" });
    const bucket = (le: string) => users.find((s) => s.labels.le === le)!.value;
    expect(bucket("0.00005")).toBe(1); // 37 µs only
    expect(bucket("0.0001")).toBe(2); // 37, 74 µs
    expect(bucket("0.05")).toBe(1000);
    const sum = users.find((s) => s.name === "keel_request_duration_seconds_sum")!.value;
    expect(sum).toBeCloseTo((37 * 1000 * 1001) / 2 / 1e6, 9);
    const weird = byLabels(samples, { route: WEIRD });
    expect(weird.find((s) => s.labels.le === "1.5")!.value).toBe(0);
    expect(weird.find((s) => s.labels.le === "2")!.value).toBe(5);
  });

  test("quantile gauges come from HDR; NaN for a route with no requests", () => {
    const m = loaded();
    const families = parseExposition(new PrometheusExposition(m).render());
    const q = samplesOf(families, "keel_request_duration_quantile_seconds");
    const get = (route: string, quantile: string) => byLabels(q, { route, quantile })[0]!.value;
    expect(get("users", "0.5")).toBeCloseTo(m.histograms[0]!.percentile(50) / 1000, 12);
    expect(get("users", "0.99")).toBeCloseTo(m.histograms[0]!.percentile(99) / 1000, 12);
    expect(get("users", "0.999")).toBeCloseTo(m.histograms[0]!.percentile(99.9) / 1000, 12);
    expect(Math.abs(get("users", "0.5") - 0.0185) / 0.0185).toBeLessThan(1 / 100);
    expect(get("idle", "0.99")).toBeNaN();
  });

  test("upstream errors: upstream codes always present, others once seen", () => {
    const families = parseExposition(new PrometheusExposition(loaded()).render());
    const errors = samplesOf(families, "keel_upstream_errors_total");
    expect(byLabels(errors, { upstream: "users-backend", code: "KEEL_UPSTREAM_TIMEOUT" })[0]!.value).toBe(2);
    expect(byLabels(errors, { upstream: "orders-backend", code: "KEEL_UPSTREAM_TIMEOUT" })[0]!.value).toBe(0);
    expect(byLabels(errors, { upstream: "orders-backend", code: "KEEL_INTERNAL" })[0]!.value).toBe(1);
    expect(byLabels(errors, { upstream: "users-backend", code: "KEEL_INTERNAL" })).toEqual([]);
    expect(byLabels(errors, { upstream: NO_ROUTE })).toEqual([]);
  });

  test("pulled gauges render with labels; a throwing reader gives NaN, not a broken scrape", () => {
    const m = loaded();
    let scrapes = 0;
    m.onScrape(() => scrapes++);
    m.addGauge("keel_pool_idle_connections", "Idle pooled connections.", () => 3, { upstream: 'a"b' });
    m.addGauge("keel_pool_idle_connections", "Idle pooled connections.", () => 4, { upstream: "c" });
    m.addGauge("keel_draining", "1 while draining.", () => {
      throw new Error("boom");
    });
    const families = parseExposition(new PrometheusExposition(m).render());
    expect(scrapes).toBe(1);
    expect(samplesOf(families, "keel_pool_idle_connections").map((s) => [s.labels.upstream, s.value])).toEqual([
      ['a"b', 3],
      ["c", 4],
    ]);
    expect(samplesOf(families, "keel_draining")[0]!.value).toBeNaN();
  });

  test("scraping resets nothing: two renders are identical", () => {
    const exposition = new PrometheusExposition(loaded());
    expect(exposition.render()).toBe(exposition.render());
  });
});

describe("the test's exposition parser is strict", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n";
  test("accepts a valid exposition", () => {
    expect(samplesOf(parseExposition(ok), "a_total")[0]!.value).toBe(2);
  });
  test.each([
    ["no final newline", ok.slice(0, -1)],
    ["second HELP", ok + "# HELP a_total A.\n"],
    ["second TYPE", ok + "# TYPE a_total counter\n"],
    ["sample before TYPE", "b 1\n"],
    ["bad value", "# HELP a A.\n# TYPE a gauge\na one\n"],
    ["unescaped quote", '# HELP a A.\n# TYPE a gauge\na{x="a"b"} 1\n'],
    ["family split", ok + "# HELP b B.\n# TYPE b gauge\nb 1\na_total 3\n"],
    ["TYPE without HELP", "# TYPE a gauge\na 1\n"],
  ])("rejects %s", (_name, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
