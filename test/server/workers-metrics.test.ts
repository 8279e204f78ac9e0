// The supervisor's /metrics: workers' expositions combined (sum, or the worst value for gauges
// that do not add up), counters kept across worker restarts; and the restart backoff.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { PrometheusExposition } from "../../src/observe/prometheus.ts";
import { combineRule, parseFamilies, renderPulled, WorkerMetricsSum, type Combine } from "../../src/server/workers/metrics-sum.ts";
import { RestartBackoff } from "../../src/server/workers/restart-backoff.ts";
import { parseExposition, samplesOf } from "../observe/parse-exposition.ts";

/** A worker's real exposition after `requests` requests on route "a" taking `micros` each. */
function workerText(requests: number, micros: number, inFlight = 0, gauges: Record<string, number> = {}): string {
  const m = new GatewayMetrics(["a"], ["up"]);
  for (let i = 0; i < requests; i++) {
    m.requestStarted();
    m.requestFinished(0, 200, micros);
  }
  for (let i = 0; i < inFlight; i++) m.requestStarted();
  for (const [name, v] of Object.entries(gauges)) m.addGauge(name, "help", () => v);
  return new PrometheusExposition(m).render();
}

/** The value of sample `name` (a histogram's _bucket/_count too) with these labels; undefined when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  if (text === "") return undefined;
  const families = parseExposition(text);
  const family = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
  if (!families.has(family)) return undefined;
  return samplesOf(families, family).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("combine rules", () => {
  const RULES: [string, string, string, Combine][] = [
    ["counter", "keel_requests_total", 'keel_requests_total{route="a",status_class="2xx"}', "sum"],
    ["histogram", "keel_request_duration_seconds", 'keel_request_duration_seconds_bucket{route="a",le="0.001"}', "sum"],
    ["gauge", "keel_requests_in_flight", "keel_requests_in_flight", "sum"],
    ["gauge", "keel_process_resident_memory_bytes", "keel_process_resident_memory_bytes", "sum"],
    ["gauge", "keel_request_duration_quantile_seconds", 'keel_request_duration_quantile_seconds{route="a",quantile="0.99"}', "max"],
    ["gauge", "keel_event_loop_lag_seconds", 'keel_event_loop_lag_seconds{quantile="0.5"}', "max"],
    ["gauge", "keel_breaker_state", 'keel_breaker_state{upstream="u"}', "max"],
    ["gauge", "keel_upstream_endpoint_state", 'keel_upstream_endpoint_state{upstream="u",endpoint="e"}', "max"],
    ["gauge", "keel_upstream_healthy_endpoints", 'keel_upstream_healthy_endpoints{upstream="u"}', "min"],
    ["gauge", "keel_process_start_time_seconds", "keel_process_start_time_seconds", "min"],
    ["gauge", "keel_reload_tail_ok", "keel_reload_tail_ok", "min"],
    ["gauge", "keel_reload_window_requests", 'keel_reload_window_requests{window="after"}', "sum"],
  ];
  for (const [type, name, key, rule] of RULES) {
    test(`${name} (${type}) → ${rule}`, () => expect(combineRule({ name, type }, key)).toBe(rule));
  }
});

describe("WorkerMetricsSum", () => {
  test("sums counters and histograms, takes the max of quantiles, and parses back strictly", () => {
    const sum = new WorkerMetricsSum(2);
    sum.update(0, workerText(10, 1000, 2));
    sum.update(1, workerText(5, 9000, 1));
    const text = sum.render();
    parseExposition(text); // throws on anything the format does not allow
    expect(value(text, "keel_requests_total", { route: "a", status_class: "2xx" })).toBe(15);
    expect(value(text, "keel_request_duration_seconds_count", { route: "a" })).toBe(15);
    expect(value(text, "keel_request_duration_seconds_bucket", { route: "a", le: "+Inf" })).toBe(15);
    expect(value(text, "keel_request_duration_seconds_bucket", { route: "a", le: "0.002" })).toBe(10);
    expect(value(text, "keel_requests_in_flight")).toBe(3);
    expect(value(text, "keel_request_duration_quantile_seconds", { route: "a", quantile: "0.99" })).toBeCloseTo(0.009, 3);
  });

  test("NaN values are left out; all NaN stays NaN", () => {
    const sum = new WorkerMetricsSum(2);
    sum.update(0, workerText(0, 0));
    sum.update(1, workerText(3, 500));
    const text = sum.render();
    expect(value(text, "keel_request_duration_quantile_seconds", { route: "a", quantile: "0.5" })).toBeCloseTo(0.0005, 4);
    const none = new WorkerMetricsSum(1);
    none.update(0, workerText(0, 0));
    expect(value(none.render(), "keel_request_duration_quantile_seconds", { route: "a", quantile: "0.5" })).toBeNaN();
  });

  test("a failed scrape keeps the worker's previous numbers", () => {
    const sum = new WorkerMetricsSum(1);
    sum.update(0, workerText(4, 100));
    sum.update(0, null);
    expect(value(sum.render(), "keel_requests_total", { route: "a", status_class: "2xx" })).toBe(4);
  });

  test("an exited worker's counters stay in the sum; its gauges go", () => {
    const sum = new WorkerMetricsSum(2);
    sum.update(0, workerText(10, 100, 3));
    sum.update(1, workerText(7, 100, 1));
    sum.retire(0);
    let text = sum.render();
    expect(value(text, "keel_requests_total", { route: "a", status_class: "2xx" })).toBe(17);
    expect(value(text, "keel_requests_in_flight")).toBe(1);
    // Restarted in the same slot: counts from zero again, the sum keeps growing.
    sum.update(0, workerText(2, 100));
    text = sum.render();
    expect(value(text, "keel_requests_total", { route: "a", status_class: "2xx" })).toBe(19);
    expect(value(text, "keel_request_duration_seconds_count", { route: "a" })).toBe(19);
  });

  test("families the supervisor owns are left out of the workers' sum", () => {
    const sum = new WorkerMetricsSum(1, new Set(["keel_reloads_total"]));
    sum.update(0, workerText(1, 100, 0, {}) + "# HELP keel_reloads_total x\n# TYPE keel_reloads_total counter\nkeel_reloads_total{result=\"ok\"} 3\n");
    expect(sum.render()).not.toContain("keel_reloads_total");
  });

  test("counters never go down across scrapes, exits and restarts (property)", () => {
    // Each step: a worker gains requests, is scraped, or exits (and restarts from zero).
    const step = fc.record({ worker: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom("grow", "scrape", "exit"), n: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const sum = new WorkerMetricsSum(3);
        const live = [0, 0, 0];
        let previous = 0;
        for (const s of steps) {
          if (s.kind === "grow") live[s.worker]! += s.n;
          else if (s.kind === "scrape") sum.update(s.worker, workerText(live[s.worker]!, 100));
          else {
            sum.retire(s.worker);
            live[s.worker] = 0;
          }
          const total = value(sum.render(), "keel_requests_total", { route: "a", status_class: "2xx" }) ?? 0;
          expect(total).toBeGreaterThanOrEqual(previous);
          previous = total;
        }
      }),
      { numRuns: 60 },
    );
  });

  test("parseFamilies keeps HELP, TYPE and every series of Keel's exposition", () => {
    const text = workerText(2, 100);
    const fams = parseFamilies(text);
    const strict = parseExposition(text);
    expect(fams.map((f) => f.name)).toEqual([...strict.keys()]);
    for (const f of fams) expect(f.series.length).toBe(strict.get(f.name)!.samples.length);
  });

  test("renderPulled writes the supervisor's own families", () => {
    const m = new GatewayMetrics([], []);
    m.addGauge("keel_worker_up", "1 while up.", () => 1, { worker: "0" });
    m.addCounter("keel_worker_restarts_total", "Restarts.", () => 2, { worker: "0" });
    const text = renderPulled(m.pulledFamilies);
    expect(value(text, "keel_worker_up", { worker: "0" })).toBe(1);
    expect(value(text, "keel_worker_restarts_total", { worker: "0" })).toBe(2);
  });
});

describe("restart backoff", () => {
  test("doubles from the base to the cap; back to the base after staying up", () => {
    const b = new RestartBackoff({ baseMs: 100, capMs: 1000, resetAfterMs: 30_000 });
    const delays = [0, 0, 0, 0, 0, 0].map(() => b.delayAfter(50));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.delayAfter(30_000)).toBe(100);
    expect(b.delayAfter(10)).toBe(200);
  });
});
